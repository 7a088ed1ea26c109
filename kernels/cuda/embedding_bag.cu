// Embedding bags, forward and backward, one block per bag with its threads across the columns.
// The forward pass sums the bag's rows in item order, as the CPU does. The backward pass adds
// into rows that several bags may share, so it adds atomically; unlike the CPU's column-split
// loop (kernels/cpu/embedding_bag.cpp) the order of those additions, and so the last bits of a
// shared row's gradient, may vary from run to run. float32 and float64.
#include "kernels/cuda/cuda_backend.h"
#include "kernels/cuda/rows.cuh"

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

void CudaBackend::embedding_bag(const ArrayView& weight, const ArrayView& ids,
                                const ArrayView& offsets, bool mean_items, bool normalize,
                                const ArrayView& out) {
  const int64_t bags = out.shape[0], width = out.shape[1], population = ids.shape[1];
  if (width == 0) return;
  activate();
  visit_float_or_double(weight.dtype, "embedding_bag", [&]<typename T>() {
    launch_rows("embedding_bag", embedding_bag_kernel<T>, stream_, bags, width, input<T>(weight),
                input<int64_t>(ids), input<int64_t>(offsets), mean_items, normalize, output<T>(out),
                bags, width, population);
  });
}

void CudaBackend::embedding_bag_backward(const ArrayView& grad_out, const ArrayView& ids,
                                         const ArrayView& offsets, bool mean_items, bool normalize,
                                         const ArrayView& grad_weight) {
  const int64_t bags = grad_out.shape[0], width = grad_out.shape[1], population = ids.shape[1];
  if (width == 0) return;
  activate();
  visit_float_or_double(grad_out.dtype, "embedding_bag_backward", [&]<typename T>() {
    launch_rows("embedding_bag_backward", embedding_bag_backward_kernel<T>, stream_, bags, width,
                input<T>(grad_out), input<int64_t>(ids), input<int64_t>(offsets), mean_items,
                normalize, output<T>(grad_weight), bags, width, population);
  });
}

}  // namespace bytegrad::kernels::cuda
