// RMSNorm over rows (Zhang and Sennrich, 2019), forward and backward, one block per row:
//   y = x * r * w,  r = 1 / sqrt(mean(x^2) + eps)
//   dL/dx = r * (g*w - x * r^2 * mean(g*w*x)),  dL/dw = sum over rows of g * x * r
// The weight's gradient sums over rows (column_sums.cuh). float32 and
// float64, as on the CPU (kernels/cpu/rms_norm.cpp).
#include "kernels/cuda/column_sums.cuh"
#include "kernels/cuda/cuda_backend.h"
#include "kernels/cuda/rows.cuh"

namespace bytegrad::kernels::cuda {
namespace {

template <typename T>
__global__ void rms_norm_kernel(const T* x, const T* weight, double eps, T* out, T* inverse_rms,
                                int64_t rows, int64_t dim) {
  for (int64_t r = blockIdx.x; r < rows; r += gridDim.x) {
    const T* xr = x + r * dim;
    T squares = 0;
    for (int64_t i = threadIdx.x; i < dim; i += blockDim.x) squares += xr[i] * xr[i];
    squares = block_reduce(squares, T(0), SumOp{});
    const T inv = T(1.0 / sqrt(double(squares) / double(dim) + eps));
    if (threadIdx.x == 0) inverse_rms[r] = inv;
    for (int64_t i = threadIdx.x; i < dim; i += blockDim.x) out[r * dim + i] = xr[i] * inv * weight[i];
  }
}

template <typename T>
__global__ void rms_norm_input_gradient_kernel(const T* x, const T* weight, const T* inverse_rms,
                                               const T* grad_out, T* grad_x, int64_t rows,
                                               int64_t dim) {
  for (int64_t r = blockIdx.x; r < rows; r += gridDim.x) {
    const T* xr = x + r * dim;
    const T* g = grad_out + r * dim;
    T gwx = 0;
    for (int64_t i = threadIdx.x; i < dim; i += blockDim.x) gwx += g[i] * weight[i] * xr[i];
    gwx = block_reduce(gwx, T(0), SumOp{});
    const T inv = inverse_rms[r];
    const T coefficient = T(double(inv) * double(inv) * (double(gwx) / double(dim)));
    for (int64_t i = threadIdx.x; i < dim; i += blockDim.x)
      grad_x[r * dim + i] = inv * (g[i] * weight[i] - xr[i] * coefficient);
  }
}

// One term of the weight's gradient, g * x * r, in float64 as the CPU sums it.
template <typename T>
struct WeightGradientTerm {
  const T* x;
  const T* inverse_rms;
  const T* grad_out;
  int64_t dim;
  __device__ double operator()(int64_t r, int64_t d) const {
    return double(grad_out[r * dim + d] * x[r * dim + d]) * double(inverse_rms[r]);
  }
};

}  // namespace

void CudaBackend::rms_norm(const ArrayView& x, const ArrayView& weight, double eps,
                           const ArrayView& out, const ArrayView& inverse_rms) {
  const int64_t rows = x.shape[0], dim = x.shape[1];
  activate();
  visit_float_or_double(x.dtype, "rms_norm", [&]<typename T>() {
    launch_rows("rms_norm", rms_norm_kernel<T>, stream_, rows, dim, input<T>(x), input<T>(weight),
                eps, output<T>(out), output<T>(inverse_rms), rows, dim);
  });
}

void CudaBackend::rms_norm_backward(const ArrayView& x, const ArrayView& weight,
                                    const ArrayView& inverse_rms, const ArrayView& grad_out,
                                    const ArrayView& grad_x, const ArrayView& grad_weight) {
  const int64_t rows = x.shape[0], dim = x.shape[1];
  activate();
  visit_float_or_double(x.dtype, "rms_norm_backward", [&]<typename T>() {
    launch_rows("rms_norm_backward", rms_norm_input_gradient_kernel<T>, stream_, rows, dim,
                input<T>(x), input<T>(weight), input<T>(inverse_rms), input<T>(grad_out),
                output<T>(grad_x), rows, dim);
    if (grad_weight.data != nullptr)
      sum_columns(*this, "rms_norm_backward (weight)",
                  WeightGradientTerm<T>{input<T>(x), input<T>(inverse_rms), input<T>(grad_out), dim},
                  rows, dim, output<T>(grad_weight));
  });
}

}  // namespace bytegrad::kernels::cuda
