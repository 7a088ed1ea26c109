// RMSNorm over rows, forward and backward in one pass each (Zhang and Sennrich, 2019):
//   y = x * r * w,  r = 1 / sqrt(mean(x^2) + eps)
//   dL/dx = r * (g*w - x * r^2 * mean(g*w*x)),  dL/dw = sum over rows of g * x * r
// Composed of square, mean, rsqrt and two products, the same layer would write five [N, D]
// arrays forward and about ten backward.
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
void forward_rows(const ArrayView& x, const ArrayView& weight, double eps, const ArrayView& out,
                  const ArrayView& inverse_rms) {
  const int64_t rows = x.shape[0], dim = x.shape[1];
  const ConstRow<T> w(weight.as<T>(), dim);
  parallel_for(rows, dim * 4, [&](int64_t r) {
    const ConstRow<T> xr(x.as<T>() + r * dim, dim);
    const double mean_square = double(xr.square().template cast<double>().sum()) / double(dim);
    const T inv = T(1.0 / std::sqrt(mean_square + eps));
    inverse_rms.as<T>()[r] = inv;
    Row<T>(out.as<T>() + r * dim, dim) = xr * inv * w;
  });
}

template <typename T>
void backward_rows(const ArrayView& x, const ArrayView& weight, const ArrayView& inverse_rms,
                   const ArrayView& grad_out, const ArrayView& grad_x, const ArrayView& grad_weight) {
  const int64_t rows = x.shape[0], dim = x.shape[1];
  const ConstRow<T> w(weight.as<T>(), dim);
  auto input_gradient = [&](int64_t r) {
    const ConstRow<T> xr(x.as<T>() + r * dim, dim), g(grad_out.as<T>() + r * dim, dim);
    const T inv = inverse_rms.as<T>()[r];
    const double mean_gwx = double((g * w * xr).template cast<double>().sum()) / double(dim);
    Row<T>(grad_x.as<T>() + r * dim, dim) = inv * (g * w - xr * T(double(inv) * double(inv) * mean_gwx));
  };
  if (!grad_weight.data) {
    parallel_for(rows, dim * 6, input_gradient);
    return;
  }
  // The weight's gradient sums over rows: each thread keeps its own partial sum in double
  // and the partial sums are added at the end, so no two threads write the same element.
  const int threads = rows * dim * 6 < kParallelThreshold || omp_in_parallel() ? 1 : omp_get_max_threads();
  std::vector<Eigen::ArrayXd> partial(size_t(threads), Eigen::ArrayXd::Zero(dim));
#pragma omp parallel num_threads(threads)
  {
    const int64_t id = omp_get_thread_num(), team = omp_get_num_threads();
    Eigen::ArrayXd& sum = partial[size_t(id)];
    for (int64_t r = rows * id / team; r < rows * (id + 1) / team; ++r) {
      input_gradient(r);
      const ConstRow<T> xr(x.as<T>() + r * dim, dim), g(grad_out.as<T>() + r * dim, dim);
      sum += (g * xr).template cast<double>() * double(inverse_rms.as<T>()[r]);
    }
  }
  Eigen::ArrayXd total = Eigen::ArrayXd::Zero(dim);
  for (const Eigen::ArrayXd& p : partial) total += p;
  Row<T>(grad_weight.as<T>(), dim) = total.cast<T>();
}

}  // namespace

void CpuBackend::rms_norm(const ArrayView& x, const ArrayView& weight, double eps, const ArrayView& out,
                          const ArrayView& inverse_rms) {
  if (x.dtype == DType::Float64) forward_rows<double>(x, weight, eps, out, inverse_rms);
  else forward_rows<float>(x, weight, eps, out, inverse_rms);
}

void CpuBackend::rms_norm_backward(const ArrayView& x, const ArrayView& weight,
                                   const ArrayView& inverse_rms, const ArrayView& grad_out,
                                   const ArrayView& grad_x, const ArrayView& grad_weight) {
  if (x.dtype == DType::Float64)
    backward_rows<double>(x, weight, inverse_rms, grad_out, grad_x, grad_weight);
  else backward_rows<float>(x, weight, inverse_rms, grad_out, grad_x, grad_weight);
}

}  // namespace bytegrad::kernels::cpu
