// LayerNorm over rows (Ba, Kiros and Hinton, 2016), forward and backward, one block per row:
//   m = mean(x),  r = 1 / sqrt(mean((x - m)^2) + eps),  xhat = (x - m) * r,  y = xhat * w + b
//   dL/dx = r * (g*w - mean(g*w) - xhat * mean(g*w*xhat))
//   dL/dw = sum over rows of g * xhat,  dL/db = sum over rows of g
// The variance is taken about the mean in a second pass over the row (the row is re-read, not
// kept): one pass of sum(x^2) - mean^2 loses it to cancellation when the mean is large against
// the spread. The parameter gradients sum over rows in a second kernel, one thread per column.
#include "kernels/cuda/column_launch.cuh"
#include "kernels/cuda/compute_type.cuh"
#include "kernels/cuda/row_kernels.h"
#include "kernels/cuda/row_launch.cuh"

namespace bytegrad::kernels::cuda {
namespace {

template <typename T>
__global__ void layer_norm_kernel(const T* x, const T* weight, const T* bias, double eps, T* out,
                                  T* mean, T* inverse_std, int64_t rows, int64_t dim) {
  for (int64_t r = blockIdx.x; r < rows; r += gridDim.x) {
    const T* xr = x + r * dim;
    T sum = 0;
    for (int64_t i = threadIdx.x; i < dim; i += blockDim.x) sum += xr[i];
    const T m = block_reduce(sum, SumOp{}) / T(dim);
    T squares = 0;
    for (int64_t i = threadIdx.x; i < dim; i += blockDim.x) squares += (xr[i] - m) * (xr[i] - m);
    squares = block_reduce(squares, SumOp{});
    const T inv = T(1.0 / sqrt(double(squares) / double(dim) + eps));
    if (threadIdx.x == 0) {
      mean[r] = m;
      inverse_std[r] = inv;
    }
    for (int64_t i = threadIdx.x; i < dim; i += blockDim.x)
      out[r * dim + i] = (xr[i] - m) * inv * weight[i] + bias[i];
  }
}

template <typename T>
__global__ void layer_norm_input_gradient_kernel(const T* x, const T* weight, const T* mean,
                                                 const T* inverse_std, const T* grad_out,
                                                 T* grad_x, int64_t rows, int64_t dim) {
  for (int64_t r = blockIdx.x; r < rows; r += gridDim.x) {
    const T* xr = x + r * dim;
    const T* g = grad_out + r * dim;
    const T m = mean[r], inv = inverse_std[r];
    T gw_sum = 0, gw_xhat_sum = 0;
    for (int64_t i = threadIdx.x; i < dim; i += blockDim.x) {
      const T gw = g[i] * weight[i];
      gw_sum += gw;
      gw_xhat_sum += gw * ((xr[i] - m) * inv);
    }
    const T mean_gw = block_reduce(gw_sum, SumOp{}) / T(dim);
    const T mean_gw_xhat = block_reduce(gw_xhat_sum, SumOp{}) / T(dim);
    for (int64_t i = threadIdx.x; i < dim; i += blockDim.x) {
      const T xhat = (xr[i] - m) * inv;
      grad_x[r * dim + i] = inv * (g[i] * weight[i] - mean_gw - xhat * mean_gw_xhat);
    }
  }
}

template <typename T>
__global__ void layer_norm_parameter_gradient_kernel(const T* x, const T* mean, const T* inverse_std,
                                                     const T* grad_out, T* grad_weight,
                                                     T* grad_bias, int64_t rows, int64_t dim) {
  BYTEGRAD_FOR_EACH_COLUMN(d, dim) {
    double weight_sum = 0, bias_sum = 0;
    for (int64_t r = 0; r < rows; ++r) {
      const T g = grad_out[r * dim + d];
      weight_sum += double(g * ((x[r * dim + d] - mean[r]) * inverse_std[r]));
      bias_sum += double(g);
    }
    if (grad_weight != nullptr) grad_weight[d] = T(weight_sum);
    if (grad_bias != nullptr) grad_bias[d] = T(bias_sum);
  }
}

}  // namespace

template <typename T>
void layer_norm_rows(cudaStream_t stream, const T* x, const T* weight, const T* bias, double eps,
                     T* out, T* mean, T* inverse_std, int64_t rows, int64_t dim) {
  launch_rows("layer_norm", layer_norm_kernel<T>, stream, rows, dim, x, weight, bias, eps, out,
              mean, inverse_std, rows, dim);
}

template <typename T>
void layer_norm_backward_rows(cudaStream_t stream, const T* x, const T* weight, const T* mean,
                              const T* inverse_std, const T* grad_out, T* grad_x, T* grad_weight,
                              T* grad_bias, int64_t rows, int64_t dim) {
  launch_rows("layer_norm_backward", layer_norm_input_gradient_kernel<T>, stream, rows, dim, x,
              weight, mean, inverse_std, grad_out, grad_x, rows, dim);
  if (grad_weight != nullptr || grad_bias != nullptr)
    launch_columns("layer_norm_backward (weight and bias)", layer_norm_parameter_gradient_kernel<T>,
                   stream, dim, x, mean, inverse_std, grad_out, grad_weight, grad_bias, rows, dim);
}

#define BYTEGRAD_LAYER_NORM_FOR(T)                                                               \
  template void layer_norm_rows<T>(cudaStream_t, const T*, const T*, const T*, double, T*, T*,   \
                                   T*, int64_t, int64_t);                                        \
  template void layer_norm_backward_rows<T>(cudaStream_t, const T*, const T*, const T*,          \
                                            const T*, const T*, T*, T*, T*, int64_t, int64_t);
BYTEGRAD_LAYER_NORM_FOR(float)
BYTEGRAD_LAYER_NORM_FOR(double)
#undef BYTEGRAD_LAYER_NORM_FOR

}  // namespace bytegrad::kernels::cuda
