// Reductions across the threads of a block, the building block of every row kernel (softmax,
// cross-entropy, normalisations): each warp first combines its 32 values with register shuffles,
// the warps' results meet in shared memory, and every thread then combines those (at most 32) in
// the same order, so all threads receive the same, deterministic result without a third barrier.
#pragma once

#include "kernels/cuda/cuda_compat.h"

namespace bytegrad::kernels::cuda {

struct SumOp {
  template <typename T>
  __device__ T operator()(T a, T b) const { return a + b; }
};

// The larger value, with NaN winning over every number so that one NaN in a row shows in its
// result whichever order the values meet in.
struct MaxOp {
  template <typename T>
  __device__ T operator()(T a, T b) const { return (a != a || a > b) ? a : b; }
};

// op over the 32 lanes of a full warp, returned to every lane (butterfly: xor shuffles).
template <typename T, typename Op>
__device__ T warp_reduce(T value, Op op) {
  for (int offset = warpSize / 2; offset > 0; offset /= 2)
    value = op(value, __shfl_xor_sync(0xffffffffu, value, offset));
  return value;
}

// op over one value from every thread of the block, returned to every thread. blockDim.x must be
// a multiple of 32, at most 1024 (blockDim.y = blockDim.z = 1), and every thread of the block
// must call it: it holds two barriers. Calls may follow each other; the first barrier keeps a
// call from overwriting the shared slots before the previous call's readers are done.
template <typename T, typename Op>
__device__ T block_reduce(T value, Op op) {
  __shared__ T warp_results[32];
  const unsigned lane = threadIdx.x % warpSize, warp = threadIdx.x / warpSize;
  value = warp_reduce(value, op);
  __syncthreads();
  if (lane == 0) warp_results[warp] = value;
  __syncthreads();
  T result = warp_results[0];
  for (unsigned w = 1; w < blockDim.x / warpSize; ++w) result = op(result, warp_results[w]);
  return result;
}

// Threads for a block that walks a row of `length` elements: one per element up to `limit`,
// rounded up to whole warps (block_reduce needs full warps; the extra threads hold identities).
inline unsigned row_block_threads(long long length, unsigned limit = 256) {
  const long long warps = (length + 31) / 32;
  const long long threads = (warps < 1 ? 1 : warps) * 32;
  return threads < limit ? unsigned(threads) : limit;
}

}  // namespace bytegrad::kernels::cuda
