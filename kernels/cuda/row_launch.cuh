// The launch shape shared by the row kernels: one block per row, rows visited with a grid
// stride so that any number of rows fits in CUDA's grid (2^31 - 1 blocks at most).
#pragma once

#include <cstdint>

#include "kernels/cuda/block_reduce.cuh"
#include "kernels/cuda/cuda_check.h"

namespace bytegrad::kernels::cuda {

inline dim3 row_grid(int64_t rows) { return dim3(unsigned(rows < 0x7fffffff ? rows : 0x7fffffff)); }

// Launches kernel(args...) with one block per row and threads for rows of `length` elements,
// then checks the launch; `name` is the kernel's name in an error message.
template <typename... Params, typename... Args>
void launch_rows(const char* name, void (*kernel)(Params...), cudaStream_t stream, int64_t rows,
                 int64_t length, Args&&... args) {
  if (rows <= 0) return;
  launch(kernel, row_grid(rows), dim3(row_block_threads(length)), 0, stream,
         std::forward<Args>(args)...);
  BYTEGRAD_CUDA_CHECK_LAUNCH(name);
}

}  // namespace bytegrad::kernels::cuda
