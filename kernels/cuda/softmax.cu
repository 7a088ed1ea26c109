// Softmax and log-softmax over rows, and their gradients: one block per row, three passes over
// the row (maximum, sum of exponentials shifted by it, output), each pass a block reduction.
// Shifting by the maximum keeps exp from overflowing: softmax(x) = softmax(x - max(x)). Every
// float dtype; half types compute in float, as on the CPU (kernels/cpu/rows.cpp).
#include "kernels/cuda/cuda_backend.h"
#include "kernels/cuda/rows.cuh"

namespace bytegrad::kernels::cuda {
namespace {

template <typename T>
__global__ void softmax_kernel(const T* in, T* out, int64_t rows, int64_t n, bool log) {
  using C = device_compute_t<T>;
  for (int64_t r = blockIdx.x; r < rows; r += gridDim.x) {
    const T* x = in + r * n;
    T* y = out + r * n;
    C peak = negative_infinity<C>();
    for (int64_t i = threadIdx.x; i < n; i += blockDim.x) peak = MaxOp{}(peak, to_compute(x[i]));
    peak = block_reduce(peak, negative_infinity<C>(), MaxOp{});
    if (peak == negative_infinity<C>()) {
      // Every entry masked: no mass anywhere. Zeros keep attention over padding finite.
      for (int64_t i = threadIdx.x; i < n; i += blockDim.x)
        y[i] = from_compute<T>(log ? negative_infinity<C>() : C(0));
      continue;  // the whole block takes this branch: peak is the same in every thread
    }
    C sum = 0;
    for (int64_t i = threadIdx.x; i < n; i += blockDim.x) sum += exp_of(to_compute(x[i]) - peak);
    sum = block_reduce(sum, C(0), SumOp{});
    const C log_sum = log_of(sum);
    for (int64_t i = threadIdx.x; i < n; i += blockDim.x) {
      const C shifted = to_compute(x[i]) - peak;
      y[i] = from_compute<T>(log ? shifted - log_sum : exp_of(shifted) / sum);
    }
  }
}

// grad_in = y * (g - sum(g * y)) for softmax, g - exp(y) * sum(g) for log-softmax.
template <typename T>
__global__ void softmax_backward_kernel(const T* y, const T* grad_out, T* grad_in, int64_t rows,
                                        int64_t n, bool log) {
  using C = device_compute_t<T>;
  for (int64_t r = blockIdx.x; r < rows; r += gridDim.x) {
    const T* yr = y + r * n;
    const T* g = grad_out + r * n;
    T* gx = grad_in + r * n;
    C dot = 0;
    for (int64_t i = threadIdx.x; i < n; i += blockDim.x)
      dot += log ? to_compute(g[i]) : to_compute(g[i]) * to_compute(yr[i]);
    dot = block_reduce(dot, C(0), SumOp{});
    for (int64_t i = threadIdx.x; i < n; i += blockDim.x) {
      const C yi = to_compute(yr[i]), gi = to_compute(g[i]);
      gx[i] = from_compute<T>(log ? gi - exp_of(yi) * dot : yi * (gi - dot));
    }
  }
}

}  // namespace

void CudaBackend::softmax(const ArrayView& in, const ArrayView& out, bool log) {
  const Rows rows = rows_of(in);
  if (rows.length == 0) return;
  activate();
  visit_floating(in.dtype, "softmax", [&]<typename T>() {
    launch_rows("softmax", softmax_kernel<T>, stream_, rows.count, rows.length, input<T>(in),
                output<T>(out), rows.count, rows.length, log);
  });
}

void CudaBackend::softmax_backward(const ArrayView& y, const ArrayView& grad_out,
                                   const ArrayView& grad_in, bool log) {
  const Rows rows = rows_of(y);
  if (rows.length == 0) return;
  activate();
  visit_floating(y.dtype, "softmax_backward", [&]<typename T>() {
    launch_rows("softmax_backward", softmax_backward_kernel<T>, stream_, rows.count, rows.length,
                input<T>(y), input<T>(grad_out), output<T>(grad_in), rows.count, rows.length, log);
  });
}

}  // namespace bytegrad::kernels::cuda
