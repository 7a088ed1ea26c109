#include "dist/communicator.h"

#include "tensor/creation.h"

namespace bytegrad::dist {
namespace {

void check_contiguous(const char* op, const char* what, const Tensor& tensor) {
  BYTEGRAD_CHECK(tensor.defined(), "dist ", op, ": the ", what, " tensor is undefined");
  BYTEGRAD_CHECK(tensor.is_contiguous(), "dist ", op, ": the ", what, " tensor of shape ", shape_str(tensor.shape()),
                 " is not contiguous");
}

void check_reducible(const char* op, const Tensor& tensor, ReduceOp reduce) {
  const DType dtype = tensor.dtype();
  const bool supported = dtype == kFloat32 || dtype == kFloat64 || dtype == kInt32 || dtype == kInt64;
  BYTEGRAD_CHECK(supported, "dist ", op, ": cannot reduce ", dtype, " tensors (float32, float64, int32 or int64)");
  BYTEGRAD_CHECK(reduce != ReduceOp::Average || is_floating(dtype), "dist ", op,
                 ": the average of integer tensors is not an integer; reduce ", dtype, " with sum");
}

void check_pair(const char* op, const Tensor& input, const Tensor& output) {
  check_contiguous(op, "input", input);
  check_contiguous(op, "output", output);
  BYTEGRAD_CHECK(input.dtype() == output.dtype() && input.device() == output.device(), "dist ", op, ": input ",
                 input.dtype(), " on ", input.device(), " and output ", output.dtype(), " on ", output.device(),
                 " differ");
}

}  // namespace

const char* reduce_op_name(ReduceOp op) { return op == ReduceOp::Sum ? "sum" : "average"; }

Communicator::Communicator(int rank, int world_size, std::unique_ptr<Collectives> cpu, std::unique_ptr<Collectives> cuda)
    : rank_(rank), world_size_(world_size), cpu_(std::move(cpu)), cuda_(std::move(cuda)) {
  BYTEGRAD_CHECK(world_size > 0 && rank >= 0 && rank < world_size, "dist: rank ", rank, " is not in a world of ",
                 world_size, " ranks");
  BYTEGRAD_CHECK(cpu_ != nullptr, "dist: a communicator needs a transport for CPU tensors");
}

std::string Communicator::describe() const {
  return concat("rank ", rank_, " of ", world_size_, " (", cpu_->name(), ")");
}

Collectives& Communicator::transport(const char* op, const Tensor& tensor) {
  if (tensor.device().is_cpu()) return *cpu_;
  BYTEGRAD_CHECK(cuda_ != nullptr, "dist ", op, ": no transport for ", tensor.device(),
                 " tensors in this build (NCCL carries CUDA tensors; move the tensor to the CPU or build with it)");
  return *cuda_;
}

void Communicator::all_reduce(const Tensor& tensor, ReduceOp op) {
  check_contiguous("all_reduce", "", tensor);
  check_reducible("all_reduce", tensor, op);
  transport("all_reduce", tensor).all_reduce(tensor, op);
}

void Communicator::reduce_scatter(const Tensor& input, const Tensor& output, ReduceOp op) {
  check_pair("reduce_scatter", input, output);
  check_reducible("reduce_scatter", input, op);
  BYTEGRAD_CHECK(input.numel() == output.numel() * world_size_, "dist reduce_scatter: input of ", input.numel(),
                 " elements ", shape_str(input.shape()), " is not ", world_size_, " ranks x the output's ",
                 output.numel(), " ", shape_str(output.shape()));
  transport("reduce_scatter", input).reduce_scatter(input, output, op);
}

void Communicator::all_gather(const Tensor& input, const Tensor& output) {
  check_pair("all_gather", input, output);
  BYTEGRAD_CHECK(output.numel() == input.numel() * world_size_, "dist all_gather: output of ", output.numel(),
                 " elements ", shape_str(output.shape()), " is not ", world_size_, " ranks x the input's ",
                 input.numel(), " ", shape_str(input.shape()));
  transport("all_gather", input).all_gather(input, output);
}

void Communicator::broadcast(const Tensor& tensor, int root) {
  check_contiguous("broadcast", "", tensor);
  BYTEGRAD_CHECK(root >= 0 && root < world_size_, "dist broadcast: root ", root, " is not a rank of ", world_size_);
  transport("broadcast", tensor).broadcast(tensor, root);
}

void Communicator::barrier() { cpu_->barrier(); }

double Communicator::average(double value) {
  const Tensor one = full({1}, value, {kFloat64, kCPU});
  all_reduce(one, ReduceOp::Average);
  return one.item<double>();
}

int64_t Communicator::sum(int64_t value) {
  const Tensor one = full({1}, double(value), {kInt64, kCPU});
  all_reduce(one, ReduceOp::Sum);
  return one.item<int64_t>();
}

}  // namespace bytegrad::dist
