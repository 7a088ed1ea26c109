// Sums over the rows of every column, for the parameter gradients of the normalisations
// (dL/dw = sum over rows of ...): out[d] = sum over r of value(r, d), in float64, for a
// [rows, columns] array that `value` computes on the fly (a functor with
// `__device__ double operator()(int64_t r, int64_t d) const`).
//
// Two passes, deterministic: the rows are cut into chunks (their number a function of `rows`
// alone); a block of 32 x 8 threads sums 32 columns of one chunk, each thread every eighth row,
// neighbouring threads reading neighbouring columns (coalesced), and the 8 partial sums meet in
// shared memory; then one thread per column adds the chunks' sums in chunk order. A single
// thread per column walking every row would leave most of a GPU idle on a long batch.
#pragma once

#include <algorithm>
#include <cstdint>

#include "kernels/cuda/cuda_backend.h"
#include "kernels/cuda/cuda_check.h"
#include "kernels/cuda/cuda_compat.h"
#include "kernels/cuda/scratch.h"

namespace bytegrad::kernels::cuda {

constexpr unsigned kColumnTile = 32, kRowPhases = 8;

template <typename Value>
__global__ void column_partial_sums_kernel(Value value, int64_t rows, int64_t columns,
                                           int64_t rows_per_chunk, double* partials) {
  __shared__ double phase_sums[kRowPhases][kColumnTile];
  const int64_t d = int64_t(blockIdx.x) * kColumnTile + threadIdx.x;
  const int64_t begin = int64_t(blockIdx.y) * rows_per_chunk;
  const int64_t end = begin + rows_per_chunk < rows ? begin + rows_per_chunk : rows;
  double sum = 0;
  if (d < columns)
    for (int64_t r = begin + threadIdx.y; r < end; r += kRowPhases) sum += value(r, d);
  phase_sums[threadIdx.y][threadIdx.x] = sum;
  __syncthreads();
  if (threadIdx.y == 0 && d < columns) {
    double total = 0;
    for (unsigned phase = 0; phase < kRowPhases; ++phase) total += phase_sums[phase][threadIdx.x];
    partials[int64_t(blockIdx.y) * columns + d] = total;
  }
}

template <typename T>
__global__ void column_chunk_totals_kernel(const double* partials, int64_t chunks, int64_t columns,
                                           T* out) {
  const int64_t d = int64_t(blockIdx.x) * blockDim.x + threadIdx.x;
  if (d >= columns) return;
  double total = 0;
  for (int64_t c = 0; c < chunks; ++c) total += partials[c * columns + d];
  out[d] = T(total);
}

// Writes out[d] for d < columns on the backend's stream; the chunks' sums live in scratch memory
// (scratch.h).
template <typename T, typename Value>
void sum_columns(CudaBackend& backend, const char* name, Value value, int64_t rows,
                 int64_t columns, T* out) {
  if (columns <= 0) return;
  // About 64 rows per chunk, at most 1024 chunks (a grid's y extent is at most 65535).
  const int64_t chunks = rows <= 0 ? 1 : std::min<int64_t>((rows + 63) / 64, 1024);
  const int64_t rows_per_chunk = rows <= 0 ? 0 : (rows + chunks - 1) / chunks;
  const Scratch<double> partials(backend, size_t(chunks * columns));
  const dim3 tiles(unsigned((columns + kColumnTile - 1) / kColumnTile), unsigned(chunks));
  launch(column_partial_sums_kernel<Value>, tiles, dim3(kColumnTile, kRowPhases), 0,
         backend.stream(), value, rows, columns, rows_per_chunk, partials.data());
  BYTEGRAD_CUDA_CHECK_LAUNCH(name);
  constexpr unsigned kThreads = 128;
  launch(column_chunk_totals_kernel<T>, dim3(unsigned((columns + kThreads - 1) / kThreads)),
         dim3(kThreads), 0, backend.stream(), partials.data(), chunks, columns, out);
  BYTEGRAD_CUDA_CHECK_LAUNCH(name);
}

}  // namespace bytegrad::kernels::cuda
