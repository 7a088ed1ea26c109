// RMSNorm over rows (Zhang and Sennrich, 2019), forward and backward, one block per row:
//   y = x * r * w,  r = 1 / sqrt(mean(x^2) + eps)
//   dL/dx = r * (g*w - x * r^2 * mean(g*w*x)),  dL/dw = sum over rows of g * x * r
// The weight's gradient sums over rows in a second kernel, one thread per column.
#include "kernels/cuda/column_launch.cuh"
#include "kernels/cuda/compute_type.cuh"
#include "kernels/cuda/row_kernels.h"
#include "kernels/cuda/row_launch.cuh"

namespace bytegrad::kernels::cuda {
namespace {

template <typename T>
__global__ void rms_norm_kernel(const T* x, const T* weight, double eps, T* out, T* inverse_rms,
                                int64_t rows, int64_t dim) {
  for (int64_t r = blockIdx.x; r < rows; r += gridDim.x) {
    const T* xr = x + r * dim;
    T squares = 0;
    for (int64_t i = threadIdx.x; i < dim; i += blockDim.x) squares += xr[i] * xr[i];
    squares = block_reduce(squares, SumOp{});
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
    gwx = block_reduce(gwx, SumOp{});
    const T inv = inverse_rms[r];
    const T coefficient = T(double(inv) * double(inv) * (double(gwx) / double(dim)));
    for (int64_t i = threadIdx.x; i < dim; i += blockDim.x)
      grad_x[r * dim + i] = inv * (g[i] * weight[i] - xr[i] * coefficient);
  }
}

template <typename T>
__global__ void rms_norm_weight_gradient_kernel(const T* x, const T* inverse_rms, const T* grad_out,
                                                T* grad_weight, int64_t rows, int64_t dim) {
  BYTEGRAD_FOR_EACH_COLUMN(d, dim) {
    double sum = 0;
    for (int64_t r = 0; r < rows; ++r)
      sum += double(grad_out[r * dim + d] * x[r * dim + d]) * double(inverse_rms[r]);
    grad_weight[d] = T(sum);
  }
}

}  // namespace

template <typename T>
void rms_norm_rows(cudaStream_t stream, const T* x, const T* weight, double eps, T* out,
                   T* inverse_rms, int64_t rows, int64_t dim) {
  launch_rows("rms_norm", rms_norm_kernel<T>, stream, rows, dim, x, weight, eps, out, inverse_rms,
              rows, dim);
}

template <typename T>
void rms_norm_backward_rows(cudaStream_t stream, const T* x, const T* weight, const T* inverse_rms,
                            const T* grad_out, T* grad_x, T* grad_weight, int64_t rows,
                            int64_t dim) {
  launch_rows("rms_norm_backward", rms_norm_input_gradient_kernel<T>, stream, rows, dim, x, weight,
              inverse_rms, grad_out, grad_x, rows, dim);
  if (grad_weight != nullptr)
    launch_columns("rms_norm_backward (weight)", rms_norm_weight_gradient_kernel<T>, stream, dim,
                   x, inverse_rms, grad_out, grad_weight, rows, dim);
}

#define BYTEGRAD_RMS_NORM_FOR(T)                                                                \
  template void rms_norm_rows<T>(cudaStream_t, const T*, const T*, double, T*, T*, int64_t,     \
                                 int64_t);                                                      \
  template void rms_norm_backward_rows<T>(cudaStream_t, const T*, const T*, const T*, const T*, \
                                          T*, T*, int64_t, int64_t);
BYTEGRAD_RMS_NORM_FOR(float)
BYTEGRAD_RMS_NORM_FOR(double)
#undef BYTEGRAD_RMS_NORM_FOR

}  // namespace bytegrad::kernels::cuda
