// LayerNorm over rows (Ba, Kiros and Hinton, 2016), forward and backward in one pass each:
//   m = mean(x),  r = 1 / sqrt(mean((x - m)^2) + eps),  xhat = (x - m) * r,  y = xhat * w + b
//   dL/dx = r * (g*w - mean(g*w) - xhat * mean(g*w*xhat))
//   dL/dw = sum over rows of g * xhat,  dL/db = sum over rows of g
// Composed of mean, subtraction, square, rsqrt and products, the same layer writes about six
// [N, D] arrays forward and keeps most of them for a backward pass that writes a dozen more.
#include <omp.h>

#include <Eigen/Core>
#include <cmath>
#include <vector>

#include "kernels/cpu/cpu_backend.h"
#include "kernels/cpu/eigen_rows.h"
#include "kernels/cpu/strided_loop.h"

namespace bytegrad::kernels::cpu {
namespace {

template <typename T>
void forward_rows(const ArrayView& x, const ArrayView& weight, const ArrayView& bias, double eps,
                  const ArrayView& out, const ArrayView& mean, const ArrayView& inverse_std) {
  const int64_t rows = x.shape[0], dim = x.shape[1];
  const ConstRow<T> w(weight.as<T>(), dim), b(bias.as<T>(), dim);
  parallel_for(rows, dim * 6, [&](int64_t r) {
    const ConstRow<T> xr(x.as<T>() + r * dim, dim);
    // Two passes (mean, then the squares about it) in double: one pass of sum(x^2) - mean^2
    // loses the variance to cancellation when the mean is large against the spread.
    const double m = xr.template cast<double>().sum() / double(dim);
    const double variance = (xr.template cast<double>() - m).square().sum() / double(dim);
    const double inv = 1.0 / std::sqrt(variance + eps);
    mean.as<T>()[r] = T(m);
    inverse_std.as<T>()[r] = T(inv);
    Row<T>(out.as<T>() + r * dim, dim) = (xr - T(m)) * T(inv) * w + b;
  });
}

template <typename T>
void backward_rows(const ArrayView& x, const ArrayView& weight, const ArrayView& mean,
                   const ArrayView& inverse_std, const ArrayView& grad_out, const ArrayView& grad_x,
                   const ArrayView& grad_weight, const ArrayView& grad_bias) {
  const int64_t rows = x.shape[0], dim = x.shape[1];
  const ConstRow<T> w(weight.as<T>(), dim);
  const bool want_weight = grad_weight.data != nullptr, want_bias = grad_bias.data != nullptr;
  // The parameter gradients sum over rows: each thread keeps its own partial sums in double and
  // they are added at the end, so no two threads write the same element.
  const int threads = rows * dim * 8 < kParallelThreshold || omp_in_parallel() ? 1 : omp_get_max_threads();
  std::vector<Eigen::ArrayXd> weight_partial(size_t(threads), Eigen::ArrayXd::Zero(want_weight ? dim : 0));
  std::vector<Eigen::ArrayXd> bias_partial(size_t(threads), Eigen::ArrayXd::Zero(want_bias ? dim : 0));
#pragma omp parallel num_threads(threads)
  {
    const int64_t id = omp_get_thread_num(), team = omp_get_num_threads();
    Eigen::Array<T, Eigen::Dynamic, 1> xhat(dim), gw(dim);
    for (int64_t r = rows * id / team; r < rows * (id + 1) / team; ++r) {
      const ConstRow<T> xr(x.as<T>() + r * dim, dim), g(grad_out.as<T>() + r * dim, dim);
      const T inv = inverse_std.as<T>()[r];
      xhat = (xr - mean.as<T>()[r]) * inv;
      gw = g * w;
      const double mean_gw = gw.template cast<double>().sum() / double(dim);
      const double mean_gw_xhat = (gw * xhat).template cast<double>().sum() / double(dim);
      Row<T>(grad_x.as<T>() + r * dim, dim) = inv * (gw - T(mean_gw) - xhat * T(mean_gw_xhat));
      if (want_weight) weight_partial[size_t(id)] += (g * xhat).template cast<double>();
      if (want_bias) bias_partial[size_t(id)] += g.template cast<double>();
    }
  }
  auto write_sum = [&](const std::vector<Eigen::ArrayXd>& partial, const ArrayView& target) {
    Eigen::ArrayXd total = Eigen::ArrayXd::Zero(dim);
    for (const Eigen::ArrayXd& p : partial) total += p;
    Row<T>(target.as<T>(), dim) = total.cast<T>();
  };
  if (want_weight) write_sum(weight_partial, grad_weight);
  if (want_bias) write_sum(bias_partial, grad_bias);
}

}  // namespace

void CpuBackend::layer_norm(const ArrayView& x, const ArrayView& weight, const ArrayView& bias,
                            double eps, const ArrayView& out, const ArrayView& mean,
                            const ArrayView& inverse_std) {
  if (x.dtype == DType::Float64) forward_rows<double>(x, weight, bias, eps, out, mean, inverse_std);
  else forward_rows<float>(x, weight, bias, eps, out, mean, inverse_std);
}

void CpuBackend::layer_norm_backward(const ArrayView& x, const ArrayView& weight,
                                     const ArrayView& mean, const ArrayView& inverse_std,
                                     const ArrayView& grad_out, const ArrayView& grad_x,
                                     const ArrayView& grad_weight, const ArrayView& grad_bias) {
  if (x.dtype == DType::Float64)
    backward_rows<double>(x, weight, mean, inverse_std, grad_out, grad_x, grad_weight, grad_bias);
  else backward_rows<float>(x, weight, mean, inverse_std, grad_out, grad_x, grad_weight, grad_bias);
}

}  // namespace bytegrad::kernels::cpu
