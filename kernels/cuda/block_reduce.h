// Reductions across the threads of a block: a shuffle-down tree within each warp, then the
// warps' partial results through shared memory, reduced again by the first warp. The block's
// size must be a multiple of 32 (full warps, as the full-mask shuffles require).
#pragma once

#include "kernels/cuda/cuda_compat.h"

namespace bytegrad::kernels::cuda {

constexpr unsigned kFullWarp = 0xffffffffu;

// Combines value across the warp; lane 0 holds the result.
template <typename T, typename Combine>
__device__ __forceinline__ T warp_reduce(T value, Combine combine) {
  for (int offset = 16; offset > 0; offset /= 2) value = combine(value, __shfl_down_sync(kFullWarp, value, offset));
  return value;
}

// Combines every thread's value; every thread receives the result. `identity` fills the lanes
// of the last step that have no warp behind them. T: a type of at most 8 bytes.
template <typename T, typename Combine>
__device__ T block_reduce(T value, T identity, Combine combine) {
  __shared__ T partials[32];
  const unsigned lane = threadIdx.x % 32, warp = threadIdx.x / 32, warps = blockDim.x / 32;
  value = warp_reduce(value, combine);
  if (lane == 0) partials[warp] = value;
  __syncthreads();
  if (warp == 0) {
    value = warp_reduce(lane < warps ? partials[lane] : identity, combine);
    if (lane == 0) partials[0] = value;
  }
  __syncthreads();
  const T result = partials[0];
  __syncthreads();  // partials may be written again by the next call
  return result;
}

// Threads per block for a reduction of `count` elements per block: a power of two from 32 to 256,
// no more than the elements need.
inline unsigned reduction_threads(int64_t count) {
  unsigned threads = 32;
  while (threads < 256 && int64_t(threads) < count) threads *= 2;
  return threads;
}

}  // namespace bytegrad::kernels::cuda
