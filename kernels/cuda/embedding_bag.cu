// Embedding bags, forward and backward, one block per bag with its threads across the columns.
// The forward pass sums the bag's rows in item order, as the CPU does. The backward pass adds
// into rows that several bags may share, so it adds atomically; unlike the CPU's column-split
// loop (kernels/cpu/embedding_bag.cpp) the order of those additions, and so the last bits of a
// shared row's gradient, may vary from run to run.
#include "kernels/cuda/cuda_check.h"
#include "kernels/cuda/cuda_compat.h"
#include "kernels/cuda/embedding_bag_kernels.h"
#include "kernels/cuda/row_launch.cuh"

namespace bytegrad::kernels::cuda {
namespace {

// The factor every row of a bag is multiplied by.
__device__ double bag_factor(int64_t items, int64_t population, bool mean_items, bool normalize) {
  double factor = mean_items ? 1.0 / double(population) : 1.0;
  if (normalize && items > 0) factor /= double(items);
  return factor;
}

template <typename T>
__global__ void embedding_bag_kernel(const T* weight, const int64_t* ids, const int64_t* offsets,
                                     bool mean_items, bool normalize, T* out, int64_t bags,
                                     int64_t width, int64_t population) {
  for (int64_t w = blockIdx.x; w < bags; w += gridDim.x) {
    const int64_t first = offsets[w] * population, last = offsets[w + 1] * population;
    const T factor = T(bag_factor(offsets[w + 1] - offsets[w], population, mean_items, normalize));
    for (int64_t d = threadIdx.x; d < width; d += blockDim.x) {
      T sum = 0;
      for (int64_t i = first; i < last; ++i) sum += weight[ids[i] * width + d];
      out[w * width + d] = factor == T(1) ? sum : sum * factor;
    }
  }
}

template <typename T>
__global__ void embedding_bag_backward_kernel(const T* grad_out, const int64_t* ids,
                                              const int64_t* offsets, bool mean_items,
                                              bool normalize, T* grad_weight, int64_t bags,
                                              int64_t width, int64_t population) {
  for (int64_t w = blockIdx.x; w < bags; w += gridDim.x) {
    const int64_t first = offsets[w] * population, last = offsets[w + 1] * population;
    const T factor = T(bag_factor(offsets[w + 1] - offsets[w], population, mean_items, normalize));
    for (int64_t d = threadIdx.x; d < width; d += blockDim.x) {
      const T g = factor * grad_out[w * width + d];
      for (int64_t i = first; i < last; ++i) atomicAdd(&grad_weight[ids[i] * width + d], g);
    }
  }
}

}  // namespace

template <typename T>
void embedding_bag_rows(cudaStream_t stream, const T* weight, const int64_t* ids,
                        const int64_t* offsets, bool mean_items, bool normalize, T* out,
                        int64_t bags, int64_t width, int64_t population) {
  if (width <= 0) return;
  launch_rows("embedding_bag", embedding_bag_kernel<T>, stream, bags, width, weight, ids, offsets,
              mean_items, normalize, out, bags, width, population);
}

template <typename T>
void embedding_bag_backward_rows(cudaStream_t stream, const T* grad_out, const int64_t* ids,
                                 const int64_t* offsets, bool mean_items, bool normalize,
                                 T* grad_weight, int64_t bags, int64_t width, int64_t population) {
  if (width <= 0) return;
  launch_rows("embedding_bag_backward", embedding_bag_backward_kernel<T>, stream, bags, width,
              grad_out, ids, offsets, mean_items, normalize, grad_weight, bags, width, population);
}

#define BYTEGRAD_EMBEDDING_BAG_FOR(T)                                                             \
  template void embedding_bag_rows<T>(cudaStream_t, const T*, const int64_t*, const int64_t*,     \
                                      bool, bool, T*, int64_t, int64_t, int64_t);                 \
  template void embedding_bag_backward_rows<T>(cudaStream_t, const T*, const int64_t*,            \
                                               const int64_t*, bool, bool, T*, int64_t, int64_t,  \
                                               int64_t);
BYTEGRAD_EMBEDDING_BAG_FOR(float)
BYTEGRAD_EMBEDDING_BAG_FOR(double)
#undef BYTEGRAD_EMBEDDING_BAG_FOR

}  // namespace bytegrad::kernels::cuda
