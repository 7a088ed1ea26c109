// Binary cross-entropy with logits against sparse positive classes (T-Free's next-word
// pattern), forward and backward, one block per row. As on the CPU
// (kernels/cpu/multilabel_bce.cpp), each row is first treated as all-negative (softplus(z) per
// class, gradient sigmoid(z)) and then its few positive classes are corrected, so no dense target
// row is ever written. A class repeated among a row's ids counts once: the forward pass corrects
// a class only at its first occurrence, and in the backward pass every occurrence writes the
// same value. float32 and float64.
#include "kernels/cuda/cuda_backend.h"
#include "kernels/cuda/rows.cuh"

namespace bytegrad::kernels::cuda {
namespace {

// log(1 + exp(x)) without overflow: max(x, 0) + log1p(exp(-|x|)).
template <typename T>
__device__ T softplus(T x) {
  const T magnitude = x < T(0) ? -x : x;
  return (x > T(0) ? x : T(0)) + log1p_of(exp_of(-magnitude));
}

template <typename T>
__device__ T sigmoid(T x) {
  return x >= T(0) ? T(1) / (T(1) + exp_of(-x)) : exp_of(x) / (T(1) + exp_of(x));
}

// Whether ids[j] appeared before position j among ids[begin .. j - 1]. Rows have few positives.
__device__ bool seen_before(const int64_t* ids, int64_t begin, int64_t j) {
  for (int64_t earlier = begin; earlier < j; ++earlier)
    if (ids[earlier] == ids[j]) return true;
  return false;
}

template <typename T>
__global__ void multilabel_bce_kernel(const T* logits, const int64_t* target_ids,
                                      const int64_t* target_offsets, const T* weights,
                                      double pos_weight, T* loss, int64_t rows, int64_t classes) {
  for (int64_t r = blockIdx.x; r < rows; r += gridDim.x) {
    const T weight = weights[r];
    if (weight == T(0)) {  // padding, or a segment without loss (the whole block agrees)
      if (threadIdx.x == 0) loss[r] = T(0);
      continue;
    }
    const T* z = logits + r * classes;
    T total = 0;
    for (int64_t v = threadIdx.x; v < classes; v += blockDim.x) total += softplus(z[v]);
    const int64_t begin = target_offsets[r], end = target_offsets[r + 1];
    for (int64_t j = begin + threadIdx.x; j < end; j += blockDim.x) {
      if (seen_before(target_ids, begin, j)) continue;
      const T zv = z[target_ids[j]];
      total += T(pos_weight) * softplus(-zv) - softplus(zv);
    }
    total = block_reduce(total, T(0), SumOp{});
    if (threadIdx.x == 0) loss[r] = weight * total;
  }
}

template <typename T>
__global__ void multilabel_bce_backward_kernel(const T* logits, const int64_t* target_ids,
                                               const int64_t* target_offsets, const T* weights,
                                               double pos_weight, const T* grad_loss,
                                               T* grad_logits, int64_t rows, int64_t classes) {
  for (int64_t r = blockIdx.x; r < rows; r += gridDim.x) {
    const T scale = grad_loss[r] * weights[r];
    const T* z = logits + r * classes;
    T* out = grad_logits + r * classes;
    if (scale == T(0)) {  // nothing flows back (the whole block agrees)
      for (int64_t v = threadIdx.x; v < classes; v += blockDim.x) out[v] = T(0);
      continue;
    }
    for (int64_t v = threadIdx.x; v < classes; v += blockDim.x) out[v] = scale * sigmoid(z[v]);
    // The positives overwrite what other threads wrote above: all of it must be written first.
    __syncthreads();
    for (int64_t j = target_offsets[r] + threadIdx.x; j < target_offsets[r + 1]; j += blockDim.x) {
      const int64_t v = target_ids[j];
      out[v] = scale * T(pos_weight) * (sigmoid(z[v]) - T(1));
    }
  }
}

}  // namespace

void CudaBackend::multilabel_bce(const ArrayView& logits, const ArrayView& target_ids,
                                 const ArrayView& target_offsets, const ArrayView& weights,
                                 double pos_weight, const ArrayView& loss) {
  const int64_t rows = logits.shape[0], classes = logits.shape[1];
  activate();
  visit_float_or_double(logits.dtype, "multilabel_bce", [&]<typename T>() {
    launch_rows("multilabel_bce", multilabel_bce_kernel<T>, stream_, rows, classes,
                input<T>(logits), input<int64_t>(target_ids), input<int64_t>(target_offsets),
                input<T>(weights), pos_weight, output<T>(loss), rows, classes);
  });
}

void CudaBackend::multilabel_bce_backward(const ArrayView& logits, const ArrayView& target_ids,
                                          const ArrayView& target_offsets,
                                          const ArrayView& weights, double pos_weight,
                                          const ArrayView& grad_loss,
                                          const ArrayView& grad_logits) {
  const int64_t rows = logits.shape[0], classes = logits.shape[1];
  activate();
  visit_float_or_double(logits.dtype, "multilabel_bce_backward", [&]<typename T>() {
    launch_rows("multilabel_bce_backward", multilabel_bce_backward_kernel<T>, stream_, rows,
                classes, input<T>(logits), input<int64_t>(target_ids),
                input<int64_t>(target_offsets), input<T>(weights), pos_weight,
                input<T>(grad_loss), output<T>(grad_logits), rows, classes);
  });
}

}  // namespace bytegrad::kernels::cuda
