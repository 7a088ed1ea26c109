#include "train/grad_clip.h"

#include <cmath>

#include "autograd/grad_mode.h"

namespace bytegrad::train {
namespace {

// The float32 contiguous CPU gradient of `parameter`, or nullptr when it has none.
float* gradient_data(const Tensor& parameter, int64_t& n) {
  const Tensor grad = parameter.grad();
  if (!grad.defined()) return nullptr;
  BYTEGRAD_CHECK(grad.dtype() == DType::Float32 && grad.device().is_cpu() && grad.is_contiguous(),
                 "clip_grad_norm: gradients must be contiguous float32 CPU tensors, got ", grad.dtype());
  n = grad.numel();
  return grad.data<float>();
}

}  // namespace

double clip_grad_norm(const std::vector<Tensor>& parameters, double max_norm) {
  NoGradGuard no_grad;
  double sum_squares = 0;
  for (const Tensor& p : parameters) {
    int64_t n = 0;
    const float* g = gradient_data(p, n);
    if (!g) continue;
    double partial = 0;
#pragma omp parallel for simd reduction(+ : partial) schedule(static) if (n > 32768)
    for (int64_t i = 0; i < n; ++i) partial += double(g[i]) * double(g[i]);
    sum_squares += partial;
  }
  const double norm = std::sqrt(sum_squares);
  if (max_norm <= 0 || norm <= max_norm) return norm;
  const float scale = float(max_norm / (norm + 1e-6));
  for (const Tensor& p : parameters) {
    int64_t n = 0;
    float* g = gradient_data(p, n);
    if (!g) continue;
#pragma omp parallel for simd schedule(static) if (n > 32768)
    for (int64_t i = 0; i < n; ++i) g[i] *= scale;
  }
  return norm;
}

}  // namespace bytegrad::train
