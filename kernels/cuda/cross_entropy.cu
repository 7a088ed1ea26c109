// Cross-entropy over rows of logits, forward and backward in one kernel each (see the CPU's
// kernels/cpu/cross_entropy.cpp for why fused): the forward keeps one number per row, the
// log-normalizer logsumexp(x), and the backward writes softmax(x) - one_hot(target), scaled by
// the row's incoming gradient, without materialising the probabilities.
#include "kernels/cuda/compute_type.cuh"
#include "kernels/cuda/row_kernels.h"
#include "kernels/cuda/row_launch.cuh"

namespace bytegrad::kernels::cuda {
namespace {

template <typename T>
__global__ void cross_entropy_kernel(const T* logits, const int64_t* targets, T* loss,
                                     T* log_normalizer, int64_t rows, int64_t vocab) {
  for (int64_t r = blockIdx.x; r < rows; r += gridDim.x) {
    const T* x = logits + r * vocab;
    T peak = negative_infinity<T>();
    for (int64_t i = threadIdx.x; i < vocab; i += blockDim.x) peak = MaxOp{}(peak, x[i]);
    peak = block_reduce(peak, MaxOp{});
    T sum = 0;
    if (is_finite(peak))  // the same in every thread: block_reduce is reached by all or none
      for (int64_t i = threadIdx.x; i < vocab; i += blockDim.x) sum += exp_of(x[i] - peak);
    sum = block_reduce(sum, SumOp{});
    if (threadIdx.x == 0) {
      // All -inf (no mass), or a +inf or NaN that must propagate: the maximum says it.
      const T lse = is_finite(peak) ? peak + log_of(sum) : peak;
      log_normalizer[r] = lse;
      loss[r] = lse - x[targets[r]];
    }
  }
}

template <typename T>
__global__ void cross_entropy_backward_kernel(const T* logits, const int64_t* targets,
                                              const T* log_normalizer, const T* grad_loss,
                                              T* grad_logits, int64_t rows, int64_t vocab) {
  for (int64_t r = blockIdx.x; r < rows; r += gridDim.x) {
    const T g = grad_loss[r];
    const T* x = logits + r * vocab;
    T* out = grad_logits + r * vocab;
    const T lse = log_normalizer[r];
    const int64_t target = targets[r];
    for (int64_t i = threadIdx.x; i < vocab; i += blockDim.x) {
      // An ignored or zero-weighted token sends nothing back (and no NaN from an inf logit).
      if (g == T(0)) out[i] = T(0);
      else out[i] = exp_of(x[i] - lse) * g - (i == target ? g : T(0));
    }
  }
}

}  // namespace

template <typename T>
void cross_entropy_rows(cudaStream_t stream, const T* logits, const int64_t* targets, T* loss,
                        T* log_normalizer, int64_t rows, int64_t vocab) {
  if (vocab <= 0) return;
  launch_rows("cross_entropy", cross_entropy_kernel<T>, stream, rows, vocab, logits, targets, loss,
              log_normalizer, rows, vocab);
}

template <typename T>
void cross_entropy_backward_rows(cudaStream_t stream, const T* logits, const int64_t* targets,
                                 const T* log_normalizer, const T* grad_loss, T* grad_logits,
                                 int64_t rows, int64_t vocab) {
  if (vocab <= 0) return;
  launch_rows("cross_entropy_backward", cross_entropy_backward_kernel<T>, stream, rows, vocab,
              logits, targets, log_normalizer, grad_loss, grad_logits, rows, vocab);
}

#define BYTEGRAD_CROSS_ENTROPY_FOR(T)                                                          \
  template void cross_entropy_rows<T>(cudaStream_t, const T*, const int64_t*, T*, T*, int64_t, \
                                      int64_t);                                                \
  template void cross_entropy_backward_rows<T>(cudaStream_t, const T*, const int64_t*,         \
                                               const T*, const T*, T*, int64_t, int64_t);
BYTEGRAD_CROSS_ENTROPY_FOR(float)
BYTEGRAD_CROSS_ENTROPY_FOR(double)
#undef BYTEGRAD_CROSS_ENTROPY_FOR

}  // namespace bytegrad::kernels::cuda
