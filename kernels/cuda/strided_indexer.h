// Element offsets of N arrays of one shape with arbitrary strides, for kernels that give each
// thread a flat index: the host merges dimensions that are contiguous in every operand and drops
// dimensions of size 1 (as the CPU's strided_loop does), and the kernel turns a flat index into
// each operand's offset by division over the few dimensions that remain. Passed to kernels by
// value (a few hundred bytes of launch parameters).
#pragma once

#include <array>
#include <cstdint>
#include <span>

#include "base/error.h"
#include "kernels/array_view.h"
#include "kernels/cuda/cuda_compat.h"

namespace bytegrad::kernels::cuda {

constexpr int kMaxIndexerDims = 16;

template <int N>
struct StridedIndexer {
  int ndim = 0;
  int64_t size[kMaxIndexerDims] = {};
  int64_t stride[N][kMaxIndexerDims] = {};  // elements

  // offsets[k] = the element offset of flat index `linear` (row-major over the shape) in operand k.
  __host__ __device__ __forceinline__ void offsets(int64_t linear, int64_t (&out)[N]) const {
    for (int k = 0; k < N; ++k) out[k] = 0;
    for (int d = ndim - 1; d >= 0; --d) {
      const int64_t index = linear % size[d];
      linear /= size[d];
      for (int k = 0; k < N; ++k) out[k] += index * stride[k][d];
    }
  }
};

// The indexer of `shape` over the views' strides (each view has the shape's rank).
template <int N>
StridedIndexer<N> make_indexer(std::span<const int64_t> shape, const std::array<const ArrayView*, N>& views) {
  StridedIndexer<N> indexer;
  for (size_t d = 0; d < shape.size(); ++d) {
    if (shape[d] == 1) continue;
    if (indexer.ndim > 0) {
      const int last = indexer.ndim - 1;
      bool mergeable = true;
      for (int k = 0; k < N && mergeable; ++k)
        mergeable = indexer.stride[k][last] == views[size_t(k)]->strides[d] * shape[d];
      if (mergeable) {
        indexer.size[last] *= shape[d];
        for (int k = 0; k < N; ++k) indexer.stride[k][last] = views[size_t(k)]->strides[d];
        continue;
      }
    }
    BYTEGRAD_CHECK(indexer.ndim < kMaxIndexerDims, "cuda: arrays of more than ", kMaxIndexerDims,
                   " non-mergeable dimensions are not supported (shape has ", shape.size(), ")");
    indexer.size[indexer.ndim] = shape[d];
    for (int k = 0; k < N; ++k) indexer.stride[k][indexer.ndim] = views[size_t(k)]->strides[d];
    ++indexer.ndim;
  }
  return indexer;
}

// Threads per block for flat elementwise kernels (256, or fewer whole warps for small n), and
// enough blocks to cover n elements with a grid-stride loop (capped: each thread then handles
// several elements).
constexpr int kElementwiseThreads = 256;
inline unsigned elementwise_threads(int64_t n) {
  return n >= kElementwiseThreads ? unsigned(kElementwiseThreads) : unsigned((n + 31) / 32 * 32);
}
inline dim3 elementwise_grid(int64_t n) {
  const int64_t blocks = (n + kElementwiseThreads - 1) / kElementwiseThreads;
  return dim3(unsigned(blocks < 1 ? 1 : (blocks > 1024 ? 1024 : blocks)));
}

// The flat index of this thread and the grid's stride, for grid-stride loops.
__device__ __forceinline__ int64_t flat_thread_index() {
  return int64_t(blockIdx.x) * blockDim.x + threadIdx.x;
}
__device__ __forceinline__ int64_t grid_stride() { return int64_t(gridDim.x) * blockDim.x; }

}  // namespace bytegrad::kernels::cuda
