// CUDA runtime errors as exceptions: BYTEGRAD_CUDA_CHECK(cudaMemcpy(...)) throws Error naming the
// call, the file and line, and CUDA's message; in the emulated build also the stand-in runtime's
// explanation (which pointer, which allocation, by how many bytes).
#pragma once

#include <cuda_runtime_api.h>

namespace bytegrad::kernels::cuda {

// Throws Error unless status is cudaSuccess (clearing the runtime's last error first, so that a
// later check does not report it again).
void check_status(cudaError_t status, const char* call, const char* file, int line);

// The last error of a kernel launch (launches return nothing): throws like check_status.
void check_launch(const char* kernel, const char* file, int line);

}  // namespace bytegrad::kernels::cuda

#define BYTEGRAD_CUDA_CHECK(call) ::bytegrad::kernels::cuda::check_status((call), #call, __FILE__, __LINE__)
#define BYTEGRAD_CUDA_CHECK_LAUNCH(kernel) ::bytegrad::kernels::cuda::check_launch(kernel, __FILE__, __LINE__)
