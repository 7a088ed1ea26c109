// Walking N arrays of one shape with arbitrary strides, as one flat index space split across
// threads. The caller's inner loop sees runs along the innermost dimension, so it can take a
// tight (vectorisable) path when every operand is dense there.
#pragma once

#include <omp.h>

#include <array>
#include <cstdint>
#include <span>

#include "kernels/array_view.h"

namespace bytegrad::kernels::cpu {

// Below this many elements one thread is faster than waking the team.
constexpr int64_t kParallelThreshold = 1 << 15;

constexpr int kMaxLoopDims = 16;

// A shape with per-operand byte strides, after merging dimensions that are contiguous with
// their inner neighbour in every operand and dropping dimensions of size 1.
template <size_t N>
struct LoopShape {
  int ndim = 0;
  int64_t size[kMaxLoopDims];
  int64_t stride[N][kMaxLoopDims];  // bytes

  LoopShape(std::span<const int64_t> shape, const std::array<const ArrayView*, N>& views) {
    for (int64_t d = 0; d < int64_t(shape.size()); ++d) {
      if (shape[d] == 1) continue;
      const int64_t last = ndim - 1;
      bool mergeable = ndim > 0;
      for (size_t k = 0; k < N && mergeable; ++k) {
        const int64_t s = views[k]->strides[d] * int64_t(dtype_size(views[k]->dtype));
        mergeable = stride[k][last] == s * shape[d];
      }
      if (mergeable) {
        size[last] *= shape[d];
        for (size_t k = 0; k < N; ++k)
          stride[k][last] = views[k]->strides[d] * int64_t(dtype_size(views[k]->dtype));
        continue;
      }
      size[ndim] = shape[d];
      for (size_t k = 0; k < N; ++k)
        stride[k][ndim] = views[k]->strides[d] * int64_t(dtype_size(views[k]->dtype));
      ++ndim;
    }
    if (ndim == 0) {  // a scalar: one run of length 1
      size[0] = 1;
      for (size_t k = 0; k < N; ++k) stride[k][0] = 0;
      ndim = 1;
    }
  }
};

// Calls inner(pointers, byte_strides, count) for runs along the innermost dimension that
// together cover every element exactly once.
template <size_t N, typename Inner>
void strided_loop(std::span<const int64_t> shape, const std::array<const ArrayView*, N>& views,
                  Inner&& inner) {
  const LoopShape<N> loop(shape, views);
  int64_t total = 1;
  for (int d = 0; d < loop.ndim; ++d) total *= loop.size[d];
  if (total == 0) return;
  const int inner_dim = loop.ndim - 1;
  std::array<int64_t, N> inner_stride;
  for (size_t k = 0; k < N; ++k) inner_stride[k] = loop.stride[k][inner_dim];

  auto run_range = [&](int64_t begin, int64_t end) {
    // Multi-index of `begin`, then pointers to it.
    int64_t index[kMaxLoopDims];
    int64_t rest = begin;
    for (int d = loop.ndim - 1; d >= 0; --d) {
      index[d] = rest % loop.size[d];
      rest /= loop.size[d];
    }
    std::array<char*, N> ptr;
    for (size_t k = 0; k < N; ++k) {
      ptr[k] = static_cast<char*>(views[k]->data);
      for (int d = 0; d < loop.ndim; ++d) ptr[k] += index[d] * loop.stride[k][d];
    }
    int64_t position = begin;
    while (position < end) {
      const int64_t count = std::min(loop.size[inner_dim] - index[inner_dim], end - position);
      inner(ptr, inner_stride, count);
      position += count;
      // Advance the multi-index by `count` along the innermost dimension, carrying outward.
      index[inner_dim] += count;
      for (size_t k = 0; k < N; ++k) ptr[k] += count * loop.stride[k][inner_dim];
      for (int d = inner_dim; d > 0 && index[d] == loop.size[d]; --d) {
        index[d] = 0;
        ++index[d - 1];
        for (size_t k = 0; k < N; ++k)
          ptr[k] += loop.stride[k][d - 1] - loop.size[d] * loop.stride[k][d];
      }
    }
  };

  if (total < kParallelThreshold || omp_in_parallel()) {
    run_range(0, total);
    return;
  }
#pragma omp parallel
  {
    const int64_t threads = omp_get_num_threads(), id = omp_get_thread_num();
    run_range(total * id / threads, total * (id + 1) / threads);
  }
}

// True when every operand advances by exactly one element of its dtype in the run.
template <size_t N>
bool is_dense_run(const std::array<int64_t, N>& byte_strides,
                  const std::array<const ArrayView*, N>& views) {
  for (size_t k = 0; k < N; ++k)
    if (byte_strides[k] != int64_t(dtype_size(views[k]->dtype))) return false;
  return true;
}

// Splits [0, n) over the thread team when n * work_per_item is large enough to pay for it.
template <typename Body>
void parallel_for(int64_t n, int64_t work_per_item, Body&& body) {
  if (n * work_per_item < kParallelThreshold || n == 1 || omp_in_parallel()) {
    for (int64_t i = 0; i < n; ++i) body(i);
    return;
  }
#pragma omp parallel for schedule(static)
  for (int64_t i = 0; i < n; ++i) body(i);
}

}  // namespace bytegrad::kernels::cpu
