// Softmax and log-softmax over rows, and their gradients: one block per row, three passes over
// the row (maximum, sum of exponentials shifted by it, output), each pass a block reduction.
// Shifting by the maximum keeps exp from overflowing: softmax(x) = softmax(x - max(x)).
#include "kernels/cuda/compute_type.cuh"
#include "kernels/cuda/row_kernels.h"
#include "kernels/cuda/row_launch.cuh"

namespace bytegrad::kernels::cuda {
namespace {

template <typename T>
__global__ void softmax_kernel(const T* in, T* out, int64_t rows, int64_t n, bool log) {
  using C = compute_of<T>;
  for (int64_t r = blockIdx.x; r < rows; r += gridDim.x) {
    const T* x = in + r * n;
    T* y = out + r * n;
    C peak = negative_infinity<C>();
    for (int64_t i = threadIdx.x; i < n; i += blockDim.x) peak = MaxOp{}(peak, load(x[i]));
    peak = block_reduce(peak, MaxOp{});
    if (peak == negative_infinity<C>()) {
      // Every entry masked: no mass anywhere. Zeros keep attention over padding finite.
      for (int64_t i = threadIdx.x; i < n; i += blockDim.x)
        y[i] = store_as<T>(log ? negative_infinity<C>() : C(0));
      continue;  // the whole block takes this branch: peak is the same in every thread
    }
    C sum = 0;
    for (int64_t i = threadIdx.x; i < n; i += blockDim.x) sum += exp_of(load(x[i]) - peak);
    sum = block_reduce(sum, SumOp{});
    const C log_sum = log_of(sum);
    for (int64_t i = threadIdx.x; i < n; i += blockDim.x) {
      const C shifted = load(x[i]) - peak;
      y[i] = store_as<T>(log ? shifted - log_sum : exp_of(shifted) / sum);
    }
  }
}

template <typename T>
__global__ void softmax_backward_kernel(const T* y, const T* grad_out, T* grad_in, int64_t rows,
                                        int64_t n, bool log) {
  using C = compute_of<T>;
  for (int64_t r = blockIdx.x; r < rows; r += gridDim.x) {
    const T* yr = y + r * n;
    const T* g = grad_out + r * n;
    T* gx = grad_in + r * n;
    C dot = 0;  // sum(g * y) for softmax, sum(g) for log-softmax
    for (int64_t i = threadIdx.x; i < n; i += blockDim.x)
      dot += log ? load(g[i]) : load(g[i]) * load(yr[i]);
    dot = block_reduce(dot, SumOp{});
    for (int64_t i = threadIdx.x; i < n; i += blockDim.x) {
      const C yi = load(yr[i]), gi = load(g[i]);
      gx[i] = store_as<T>(log ? gi - exp_of(yi) * dot : yi * (gi - dot));
    }
  }
}

}  // namespace

template <typename T>
void softmax_rows(cudaStream_t stream, const T* in, T* out, int64_t rows, int64_t n, bool log) {
  if (n <= 0) return;
  launch_rows("softmax", softmax_kernel<T>, stream, rows, n, in, out, rows, n, log);
}

template <typename T>
void softmax_backward_rows(cudaStream_t stream, const T* y, const T* grad_out, T* grad_in,
                           int64_t rows, int64_t n, bool log) {
  if (n <= 0) return;
  launch_rows("softmax_backward", softmax_backward_kernel<T>, stream, rows, n, y, grad_out,
              grad_in, rows, n, log);
}

#define BYTEGRAD_SOFTMAX_FOR(T)                                                               \
  template void softmax_rows<T>(cudaStream_t, const T*, T*, int64_t, int64_t, bool);         \
  template void softmax_backward_rows<T>(cudaStream_t, const T*, const T*, T*, int64_t,      \
                                         int64_t, bool);
BYTEGRAD_SOFTMAX_FOR(float)
BYTEGRAD_SOFTMAX_FOR(double)
BYTEGRAD_SOFTMAX_FOR(__half)
BYTEGRAD_SOFTMAX_FOR(__nv_bfloat16)
#undef BYTEGRAD_SOFTMAX_FOR

}  // namespace bytegrad::kernels::cuda
