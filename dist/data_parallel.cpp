#include "dist/data_parallel.h"

#include "tensor/creation.h"
#include "tensor/views.h"

namespace bytegrad::dist {

DataParallel::DataParallel(Communicator& communicator, std::vector<std::pair<std::string, Tensor>> parameters,
                           DataParallelOptions options)
    : communicator_(communicator), parameters_(std::move(parameters)) {
  BYTEGRAD_CHECK(options.bucket_bytes > 0, "data parallel: bucket_bytes must be positive, got ", options.bucket_bytes);
  BYTEGRAD_CHECK(!parameters_.empty(), "data parallel: no parameters");
  const Device device = parameters_.front().second.device();
  int64_t bucket_elements = 0;
  for (size_t i = parameters_.size(); i-- > 0;) {
    const auto& [name, parameter] = parameters_[i];
    BYTEGRAD_CHECK(parameter.dtype() == kFloat32 && parameter.is_contiguous() && parameter.device() == device,
                   "data parallel: parameter '", name, "' is ", parameter.dtype(), " on ", parameter.device(),
                   parameter.is_contiguous() ? "" : ", not contiguous", "; expected contiguous float32 on ", device);
    if (buckets_.empty() || bucket_elements * int64_t(sizeof(float)) >= options.bucket_bytes) {
      buckets_.emplace_back();
      bucket_elements = 0;
    }
    buckets_.back().members.push_back(i);
    bucket_elements += parameter.numel();
  }
  for (size_t b = 0; b < buckets_.size(); ++b) {
    int64_t elements = 0;
    for (size_t i : buckets_[b].members) {
      elements += parameters_[i].second.numel();
      parameters_[i].second.ensure_autograd_meta().on_grad_ready = [this, b](const Tensor&) { on_grad_ready(b); };
    }
    buckets_[b].flat = empty({elements}, {kFloat32, device});
  }
}

DataParallel::~DataParallel() {
  for (auto& [name, parameter] : parameters_) parameter.ensure_autograd_meta().on_grad_ready = nullptr;
}

void DataParallel::broadcast_parameters() {
  for (const auto& [name, parameter] : parameters_) communicator_.broadcast(parameter, 0);
}

void DataParallel::on_grad_ready(size_t bucket) {
  if (!averaging_) return;
  ++buckets_[bucket].ready;
  while (next_bucket_ < buckets_.size() && buckets_[next_bucket_].ready == buckets_[next_bucket_].members.size())
    average_bucket(buckets_[next_bucket_++]);
}

void DataParallel::finish() {
  if (averaging_)
    while (next_bucket_ < buckets_.size()) average_bucket(buckets_[next_bucket_++]);
  next_bucket_ = 0;
  for (Bucket& bucket : buckets_) bucket.ready = 0;
}

void DataParallel::average_bucket(Bucket& bucket) {
  int64_t offset = 0;
  for (size_t i : bucket.members) {
    const Tensor& parameter = parameters_[i].second;
    const Tensor slot = ops::narrow(bucket.flat, 0, offset, parameter.numel());
    const Tensor grad = parameter.grad();
    if (grad.defined()) ops::copy_(slot, ops::reshape(grad, {parameter.numel()}));
    else ops::copy_(slot, scalar_tensor(0.0, {kFloat32, slot.device()}));
    offset += parameter.numel();
  }
  communicator_.all_reduce(bucket.flat, ReduceOp::Average);
  offset = 0;
  for (size_t i : bucket.members) {
    Tensor& parameter = parameters_[i].second;
    const Tensor mean = ops::view(ops::narrow(bucket.flat, 0, offset, parameter.numel()), parameter.shape());
    const Tensor grad = parameter.grad();
    // A gradient of its own is written in place; one that is missing or strided gets a fresh copy.
    if (grad.defined() && grad.is_contiguous() && grad.dtype() == kFloat32) ops::copy_(grad, mean);
    else parameter.set_grad(ops::clone(mean));
    offset += parameter.numel();
  }
}

}  // namespace bytegrad::dist
