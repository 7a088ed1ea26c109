// The launch shape of the parameter-gradient kernels of the normalisations, which sum over rows
// for every column: one thread per column, so each sum runs in one thread in row order
// (deterministic, no atomics), and neighbouring threads read neighbouring columns of a row
// (coalesced loads).
#pragma once

#include <cstdint>

#include "kernels/cuda/cuda_check.h"
#include "kernels/cuda/cuda_compat.h"

namespace bytegrad::kernels::cuda {

template <typename... Params, typename... Args>
void launch_columns(const char* name, void (*kernel)(Params...), cudaStream_t stream,
                    int64_t columns, Args&&... args) {
  if (columns <= 0) return;
  constexpr unsigned kThreads = 128;
  const int64_t blocks = (columns + kThreads - 1) / kThreads;
  launch(kernel, dim3(unsigned(blocks < 0x7fffffff ? blocks : 0x7fffffff)), dim3(kThreads), 0,
         stream, std::forward<Args>(args)...);
  BYTEGRAD_CUDA_CHECK_LAUNCH(name);
}

// The columns thread (blockIdx.x, threadIdx.x) owns: a grid stride over [0, columns).
#define BYTEGRAD_FOR_EACH_COLUMN(d, columns)                                          \
  for (int64_t d = int64_t(blockIdx.x) * blockDim.x + threadIdx.x; d < (columns); \
       d += int64_t(blockDim.x) * gridDim.x)

}  // namespace bytegrad::kernels::cuda
