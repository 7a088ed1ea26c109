// Embedding bags (T-Free's word embedding): out[w] = c_w * sum of the weight rows its items name.
// Forward: a thread per output element (bag, column) adds its rows in item order. Backward: a
// thread per column walks every bag and item in order and adds into the rows it names, so rows
// shared by many bags never race, no atomics are needed, and the sums are the CPU's bit for bit.
// (Parallel over columns only: a GPU version for wide batches would sort the ids first.)
#include "kernels/cuda/cuda_backend.h"
#include "kernels/cuda/cuda_check.h"
#include "kernels/cuda/cuda_compat.h"
#include "kernels/cuda/strided_indexer.h"

namespace bytegrad::kernels::cuda {
namespace {

// The factor every row of a bag is multiplied by (see Backend::embedding_bag).
__host__ __device__ __forceinline__ double bag_factor(int64_t items, int64_t population, bool mean_items,
                                                      bool normalize) {
  double factor = mean_items ? 1.0 / double(population) : 1.0;
  if (normalize && items > 0) factor /= double(items);
  return factor;
}

template <typename T>
__global__ void embedding_bag_kernel(int64_t bags, int64_t width, int64_t population, const T* table,
                                     const int64_t* ids, const int64_t* offsets, bool mean_items, bool normalize,
                                     T* out) {
  const int64_t n = bags * width;
  for (int64_t at = flat_thread_index(); at < n; at += grid_stride()) {
    const int64_t w = at / width, d = at % width;
    T sum = T(0);
    for (int64_t i = offsets[w] * population; i < offsets[w + 1] * population; ++i) sum += table[ids[i] * width + d];
    const T factor = T(bag_factor(offsets[w + 1] - offsets[w], population, mean_items, normalize));
    out[at] = factor != T(1) ? sum * factor : sum;
  }
}

template <typename T>
__global__ void embedding_bag_backward_kernel(int64_t bags, int64_t width, int64_t population, const T* grad_out,
                                              const int64_t* ids, const int64_t* offsets, bool mean_items,
                                              bool normalize, T* grad_weight) {
  for (int64_t d = flat_thread_index(); d < width; d += grid_stride()) {
    for (int64_t w = 0; w < bags; ++w) {
      const T factor = T(bag_factor(offsets[w + 1] - offsets[w], population, mean_items, normalize));
      const T g = grad_out[w * width + d];
      for (int64_t i = offsets[w] * population; i < offsets[w + 1] * population; ++i)
        grad_weight[ids[i] * width + d] += factor * g;
    }
  }
}

template <typename Fn> void visit_float_or_double(DType dtype, Fn&& fn) {
  if (dtype == DType::Float64) fn.template operator()<double>();
  else fn.template operator()<float>();
}

}  // namespace

void CudaBackend::embedding_bag(const ArrayView& weight, const ArrayView& ids, const ArrayView& offsets,
                                bool mean_items, bool normalize, const ArrayView& out) {
  const int64_t bags = out.shape[0], width = out.shape[1], population = ids.shape[1];
  const int64_t n = bags * width;
  if (n == 0) return;
  activate();
  visit_float_or_double(weight.dtype, [&]<typename T>() {
    launch(embedding_bag_kernel<T>, elementwise_grid(n), dim3(elementwise_threads(n)), 0, stream_, bags, width,
           population, static_cast<const T*>(weight.data), static_cast<const int64_t*>(ids.data),
           static_cast<const int64_t*>(offsets.data), mean_items, normalize, static_cast<T*>(out.data));
  });
  BYTEGRAD_CUDA_CHECK_LAUNCH("embedding_bag_kernel");
}

void CudaBackend::embedding_bag_backward(const ArrayView& grad_out, const ArrayView& ids, const ArrayView& offsets,
                                         bool mean_items, bool normalize, const ArrayView& grad_weight) {
  const int64_t bags = grad_out.shape[0], width = grad_out.shape[1], population = ids.shape[1];
  if (bags == 0 || width == 0) return;
  activate();
  visit_float_or_double(grad_out.dtype, [&]<typename T>() {
    launch(embedding_bag_backward_kernel<T>, elementwise_grid(width), dim3(elementwise_threads(width)), 0, stream_,
           bags, width, population, static_cast<const T*>(grad_out.data), static_cast<const int64_t*>(ids.data),
           static_cast<const int64_t*>(offsets.data), mean_items, normalize, static_cast<T*>(grad_weight.data));
  });
  BYTEGRAD_CUDA_CHECK_LAUNCH("embedding_bag_backward_kernel");
}

}  // namespace bytegrad::kernels::cuda
