// Cross-entropy over rows of logits, forward and backward in one kernel each (see the CPU's
// kernels/cpu/cross_entropy.cpp for why fused): the forward keeps one number per row, the
// log-normalizer logsumexp(x), and the backward writes softmax(x) - one_hot(target), scaled by
// the row's incoming gradient, without materialising the probabilities. float32 and float64.
#include "kernels/cuda/cuda_backend.h"
#include "kernels/cuda/rows.cuh"

namespace bytegrad::kernels::cuda {
namespace {

template <typename T>
__global__ void cross_entropy_kernel(const T* logits, const int64_t* targets, T* loss,
                                     T* log_normalizer, int64_t rows, int64_t vocab) {
  for (int64_t r = blockIdx.x; r < rows; r += gridDim.x) {
    const T* x = logits + r * vocab;
    T peak = negative_infinity<T>();
    for (int64_t i = threadIdx.x; i < vocab; i += blockDim.x) peak = MaxOp{}(peak, x[i]);
    peak = block_reduce(peak, negative_infinity<T>(), MaxOp{});
    T sum = 0;
    if (is_finite(peak))
      for (int64_t i = threadIdx.x; i < vocab; i += blockDim.x) sum += exp_of(x[i] - peak);
    sum = block_reduce(sum, T(0), SumOp{});
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

void CudaBackend::cross_entropy(const ArrayView& logits, const ArrayView& targets,
                                const ArrayView& loss, const ArrayView& log_normalizer) {
  const int64_t rows = logits.shape[0], vocab = logits.shape[1];
  if (vocab == 0) return;
  activate();
  visit_float_or_double(logits.dtype, "cross_entropy", [&]<typename T>() {
    launch_rows("cross_entropy", cross_entropy_kernel<T>, stream_, rows, vocab, input<T>(logits),
                input<int64_t>(targets), output<T>(loss), output<T>(log_normalizer), rows, vocab);
  });
}

void CudaBackend::cross_entropy_backward(const ArrayView& logits, const ArrayView& targets,
                                         const ArrayView& log_normalizer,
                                         const ArrayView& grad_loss, const ArrayView& grad_logits) {
  const int64_t rows = logits.shape[0], vocab = logits.shape[1];
  if (vocab == 0) return;
  activate();
  visit_float_or_double(logits.dtype, "cross_entropy_backward", [&]<typename T>() {
    launch_rows("cross_entropy_backward", cross_entropy_backward_kernel<T>, stream_, rows, vocab,
                input<T>(logits), input<int64_t>(targets), input<T>(log_normalizer),
                input<T>(grad_loss), output<T>(grad_logits), rows, vocab);
  });
}

}  // namespace bytegrad::kernels::cuda
