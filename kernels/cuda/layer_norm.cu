// LayerNorm over rows (Ba, Kiros and Hinton, 2016), forward and backward, one block per row:
//   m = mean(x),  r = 1 / sqrt(mean((x - m)^2) + eps),  xhat = (x - m) * r,  y = xhat * w + b
//   dL/dx = r * (g*w - mean(g*w) - xhat * mean(g*w*xhat))
//   dL/dw = sum over rows of g * xhat,  dL/db = sum over rows of g
// The variance is taken about the mean in a second pass over the row (the row is re-read, not
// kept): one pass of sum(x^2) - mean^2 loses it to cancellation when the mean is large against
// the spread. The parameter gradients sum over rows (column_sums.cuh).
// float32 and float64, as on the CPU (kernels/cpu/layer_norm.cpp).
#include "kernels/cuda/column_sums.cuh"
#include "kernels/cuda/cuda_backend.h"
#include "kernels/cuda/rows.cuh"

namespace bytegrad::kernels::cuda {
namespace {

template <typename T>
__global__ void layer_norm_kernel(const T* x, const T* weight, const T* bias, double eps, T* out,
                                  T* mean, T* inverse_std, int64_t rows, int64_t dim) {
  for (int64_t r = blockIdx.x; r < rows; r += gridDim.x) {
    const T* xr = x + r * dim;
    T sum = 0;
    for (int64_t i = threadIdx.x; i < dim; i += blockDim.x) sum += xr[i];
    const T m = block_reduce(sum, T(0), SumOp{}) / T(dim);
    T squares = 0;
    for (int64_t i = threadIdx.x; i < dim; i += blockDim.x) squares += (xr[i] - m) * (xr[i] - m);
    squares = block_reduce(squares, T(0), SumOp{});
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
    const T mean_gw = block_reduce(gw_sum, T(0), SumOp{}) / T(dim);
    const T mean_gw_xhat = block_reduce(gw_xhat_sum, T(0), SumOp{}) / T(dim);
    for (int64_t i = threadIdx.x; i < dim; i += blockDim.x) {
      const T xhat = (xr[i] - m) * inv;
      grad_x[r * dim + i] = inv * (g[i] * weight[i] - mean_gw - xhat * mean_gw_xhat);
    }
  }
}

// One term of the weight's gradient, g * xhat, in float64 as the CPU sums it.
template <typename T>
struct WeightGradientTerm {
  const T* x;
  const T* mean;
  const T* inverse_std;
  const T* grad_out;
  int64_t dim;
  __device__ double operator()(int64_t r, int64_t d) const {
    const int64_t at = r * dim + d;
    return double(grad_out[at] * ((x[at] - mean[r]) * inverse_std[r]));
  }
};

// One term of the bias's gradient: g.
template <typename T>
struct BiasGradientTerm {
  const T* grad_out;
  int64_t dim;
  __device__ double operator()(int64_t r, int64_t d) const { return double(grad_out[r * dim + d]); }
};

}  // namespace

void CudaBackend::layer_norm(const ArrayView& x, const ArrayView& weight, const ArrayView& bias,
                             double eps, const ArrayView& out, const ArrayView& mean,
                             const ArrayView& inverse_std) {
  const int64_t rows = x.shape[0], dim = x.shape[1];
  activate();
  visit_float_or_double(x.dtype, "layer_norm", [&]<typename T>() {
    launch_rows("layer_norm", layer_norm_kernel<T>, stream_, rows, dim, input<T>(x),
                input<T>(weight), input<T>(bias), eps, output<T>(out), output<T>(mean),
                output<T>(inverse_std), rows, dim);
  });
}

void CudaBackend::layer_norm_backward(const ArrayView& x, const ArrayView& weight,
                                      const ArrayView& mean, const ArrayView& inverse_std,
                                      const ArrayView& grad_out, const ArrayView& grad_x,
                                      const ArrayView& grad_weight, const ArrayView& grad_bias) {
  const int64_t rows = x.shape[0], dim = x.shape[1];
  activate();
  visit_float_or_double(x.dtype, "layer_norm_backward", [&]<typename T>() {
    launch_rows("layer_norm_backward", layer_norm_input_gradient_kernel<T>, stream_, rows, dim,
                input<T>(x), input<T>(weight), input<T>(mean), input<T>(inverse_std),
                input<T>(grad_out), output<T>(grad_x), rows, dim);
    if (grad_weight.data != nullptr)
      sum_columns(*this, "layer_norm_backward (weight)",
                  WeightGradientTerm<T>{input<T>(x), input<T>(mean), input<T>(inverse_std),
                                        input<T>(grad_out), dim},
                  rows, dim, output<T>(grad_weight));
    if (grad_bias.data != nullptr)
      sum_columns(*this, "layer_norm_backward (bias)", BiasGradientTerm<T>{input<T>(grad_out), dim},
                  rows, dim, output<T>(grad_bias));
  });
}

}  // namespace bytegrad::kernels::cuda
