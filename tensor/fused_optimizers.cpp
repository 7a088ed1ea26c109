#include "tensor/fused_optimizers.h"

#include <string>

namespace bytegrad::ops {
namespace {

// Names a buffer in errors: "gradient of parameter 3", or "tensor 3" for a plain list.
std::string name_of(const char* role, size_t index) {
  return role ? concat(role, " of parameter ", index) : concat("tensor ", index);
}

// Throws unless `t` can be updated by a fused kernel beside the parameter `reference` on `device`.
void check_buffer(const char* op, const char* role, size_t index, const Tensor& t,
                  const Tensor& reference, Device device) {
  BYTEGRAD_CHECK(t.defined(), op, ": ", name_of(role, index), " is undefined");
  BYTEGRAD_CHECK(t.dtype() == DType::Float32 && t.is_contiguous(), op, ": ", name_of(role, index),
                 " must be contiguous float32, got ", t.dtype(), " of shape ", shape_str(t.shape()),
                 t.is_contiguous() ? "" : " (not contiguous)");
  BYTEGRAD_CHECK(t.device() == device, op, ": ", name_of(role, index), " is on ", t.device(),
                 ", the first on ", device);
  BYTEGRAD_CHECK(t.numel() == reference.numel(), op, ": ", name_of(role, index), " has shape ",
                 shape_str(t.shape()), ", the parameter ", shape_str(reference.shape()));
}

Device device_of(const std::vector<Tensor>& tensors) {
  return tensors.empty() || !tensors.front().defined() ? kCPU : tensors.front().device();
}

}  // namespace

void adamw_update(const std::vector<AdamWTensors>& parameters, const kernels::AdamWStep& step) {
  if (parameters.empty()) return;
  const Device device = parameters.front().param.device();
  std::vector<kernels::AdamWParameter> buffers;
  buffers.reserve(parameters.size());
  for (size_t i = 0; i < parameters.size(); ++i) {
    const AdamWTensors& a = parameters[i];
    check_buffer("adamw_update", "value", i, a.param, a.param, device);
    check_buffer("adamw_update", "gradient", i, a.grad, a.param, device);
    check_buffer("adamw_update", "exp_avg", i, a.exp_avg, a.param, device);
    check_buffer("adamw_update", "exp_avg_sq", i, a.exp_avg_sq, a.param, device);
    buffers.push_back({a.param.data<float>(), a.grad.data<float>(), a.exp_avg.data<float>(),
                       a.exp_avg_sq.data<float>(), a.param.numel(), a.decay});
  }
  kernels::backend_for(device).adamw(buffers, step);
}

void sgd_update(const std::vector<SgdTensors>& parameters, float learning_rate, float momentum) {
  if (parameters.empty()) return;
  const Device device = parameters.front().param.device();
  std::vector<kernels::SgdParameter> buffers;
  buffers.reserve(parameters.size());
  for (size_t i = 0; i < parameters.size(); ++i) {
    const SgdTensors& s = parameters[i];
    check_buffer("sgd_update", "value", i, s.param, s.param, device);
    check_buffer("sgd_update", "gradient", i, s.grad, s.param, device);
    check_buffer("sgd_update", "momentum buffer", i, s.velocity, s.param, device);
    buffers.push_back({s.param.data<float>(), s.grad.data<float>(), s.velocity.data<float>(),
                       s.param.numel(), s.weight_decay});
  }
  kernels::backend_for(device).sgd(buffers, learning_rate, momentum);
}

double sum_of_squares(const std::vector<Tensor>& tensors) {
  const Device device = device_of(tensors);
  std::vector<std::span<const float>> buffers;
  buffers.reserve(tensors.size());
  for (size_t i = 0; i < tensors.size(); ++i) {
    check_buffer("sum_of_squares", nullptr, i, tensors[i], tensors[i], device);
    buffers.emplace_back(tensors[i].data<float>(), size_t(tensors[i].numel()));
  }
  if (buffers.empty()) return 0.0;
  return kernels::backend_for(device).sum_of_squares(buffers);
}

void scale_(const std::vector<Tensor>& tensors, float factor) {
  const Device device = device_of(tensors);
  std::vector<std::span<float>> buffers;
  buffers.reserve(tensors.size());
  for (size_t i = 0; i < tensors.size(); ++i) {
    check_buffer("scale_", nullptr, i, tensors[i], tensors[i], device);
    buffers.emplace_back(tensors[i].data<float>(), size_t(tensors[i].numel()));
  }
  if (!buffers.empty()) kernels::backend_for(device).scale(buffers, factor);
}

}  // namespace bytegrad::ops
