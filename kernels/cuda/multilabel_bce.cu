// Binary cross-entropy with logits against sparse multi-hot targets (T-Free's next-word
// pattern), as the CPU backend computes it: each row is first all-negative (softplus(z) per
// class, gradient sigmoid(z)), then its distinct positive classes are corrected, so no dense
// target row is ever written. Forward: a block per row sums the softplus terms (block_reduce.h)
// and its first thread applies the corrections; backward: a thread per element, which scans its
// row's few positive ids.
#include <cmath>

#include "kernels/cuda/block_reduce.h"
#include "kernels/cuda/cuda_backend.h"
#include "kernels/cuda/cuda_check.h"
#include "kernels/cuda/cuda_compat.h"
#include "kernels/cuda/strided_indexer.h"

namespace bytegrad::kernels::cuda {
namespace {

// log(1 + exp(x)) without overflow: max(x, 0) + log1p(exp(-|x|)).
template <typename T> __device__ __forceinline__ T softplus(T x) {
  return (x > T(0) ? x : T(0)) + std::log1p(std::exp(-std::abs(x)));
}

template <typename T> __device__ __forceinline__ T stable_sigmoid(T x) {
  return x >= T(0) ? T(1) / (T(1) + std::exp(-x)) : std::exp(x) / (T(1) + std::exp(x));
}

// True when ids[at] is the first occurrence of its value among ids[begin, at): a repeated
// positive class counts once.
__device__ __forceinline__ bool first_occurrence(const int64_t* ids, int64_t begin, int64_t at) {
  for (int64_t j = begin; j < at; ++j)
    if (ids[j] == ids[at]) return false;
  return true;
}

template <typename T>
__global__ void multilabel_bce_kernel(int64_t rows, int64_t classes, const T* logits, const int64_t* target_ids,
                                      const int64_t* target_offsets, const T* weights, T pos_weight, T* loss) {
  for (int64_t w = blockIdx.x; w < rows; w += gridDim.x) {
    const T weight = weights[w];
    if (weight == T(0)) {  // padding or a segment without loss (uniform across the block)
      if (threadIdx.x == 0) loss[w] = T(0);
      continue;
    }
    const T* z = logits + w * classes;
    T partial = T(0);
    for (int64_t v = threadIdx.x; v < classes; v += blockDim.x) partial += softplus(z[v]);
    T total = block_reduce(partial, T(0), [](T a, T b) { return a + b; });
    if (threadIdx.x == 0) {
      for (int64_t j = target_offsets[w]; j < target_offsets[w + 1]; ++j) {
        if (!first_occurrence(target_ids, target_offsets[w], j)) continue;
        const T x = z[target_ids[j]];
        total += pos_weight * softplus(-x) - softplus(x);
      }
      loss[w] = weight * total;
    }
  }
}

template <typename T>
__global__ void multilabel_bce_backward_kernel(int64_t rows, int64_t classes, const T* logits,
                                               const int64_t* target_ids, const int64_t* target_offsets,
                                               const T* weights, T pos_weight, const T* grad_loss, T* grad_logits) {
  const int64_t n = rows * classes;
  for (int64_t at = flat_thread_index(); at < n; at += grid_stride()) {
    const int64_t w = at / classes, v = at % classes;
    const T scale = grad_loss[w] * weights[w];
    if (scale == T(0)) {
      grad_logits[at] = T(0);
      continue;
    }
    bool positive = false;
    for (int64_t j = target_offsets[w]; j < target_offsets[w + 1] && !positive; ++j) positive = target_ids[j] == v;
    const T s = stable_sigmoid(logits[at]);
    grad_logits[at] = positive ? scale * pos_weight * (s - T(1)) : scale * s;
  }
}

template <typename Fn> void visit_float_or_double(DType dtype, Fn&& fn) {
  if (dtype == DType::Float64) fn.template operator()<double>();
  else fn.template operator()<float>();
}

}  // namespace

void CudaBackend::multilabel_bce(const ArrayView& logits, const ArrayView& target_ids, const ArrayView& target_offsets,
                                 const ArrayView& weights, double pos_weight, const ArrayView& loss) {
  const int64_t rows = logits.shape[0], classes = logits.shape[1];
  if (rows == 0) return;
  activate();
  visit_float_or_double(logits.dtype, [&]<typename T>() {
    launch(multilabel_bce_kernel<T>, dim3(unsigned(rows < 4096 ? rows : 4096)), dim3(reduction_threads(classes)), 0,
           stream_, rows, classes, static_cast<const T*>(logits.data), static_cast<const int64_t*>(target_ids.data),
           static_cast<const int64_t*>(target_offsets.data), static_cast<const T*>(weights.data), T(pos_weight),
           static_cast<T*>(loss.data));
  });
  BYTEGRAD_CUDA_CHECK_LAUNCH("multilabel_bce_kernel");
}

void CudaBackend::multilabel_bce_backward(const ArrayView& logits, const ArrayView& target_ids,
                                          const ArrayView& target_offsets, const ArrayView& weights,
                                          double pos_weight, const ArrayView& grad_loss,
                                          const ArrayView& grad_logits) {
  const int64_t n = logits.numel();
  if (n == 0) return;
  activate();
  visit_float_or_double(logits.dtype, [&]<typename T>() {
    launch(multilabel_bce_backward_kernel<T>, elementwise_grid(n), dim3(elementwise_threads(n)), 0, stream_,
           logits.shape[0], logits.shape[1], static_cast<const T*>(logits.data),
           static_cast<const int64_t*>(target_ids.data), static_cast<const int64_t*>(target_offsets.data),
           static_cast<const T*>(weights.data), T(pos_weight), static_cast<const T*>(grad_loss.data),
           static_cast<T*>(grad_logits.data));
  });
  BYTEGRAD_CUDA_CHECK_LAUNCH("multilabel_bce_backward_kernel");
}

}  // namespace bytegrad::kernels::cuda
