// The stand-in CUDA runtime: the functions of <cuda_runtime_api.h> that bytegrad calls, defined
// in runtime.cpp with the real header's declarations, so that code written for libcudart builds
// and runs unchanged on a machine without a GPU. Device memory is ordinary heap memory (so that
// AddressSanitizer sees kernels that read or write past an allocation), and every call checks
// what a GPU would only crash on or silently corrupt:
//   - cudaFree of a pointer that is not the start of a live allocation (freed twice, never
//     allocated, or inside another allocation);
//   - copies and sets whose device side is not device memory, whose host side is device memory
//     (a copy kind that contradicts its pointers), or that run past the end of an allocation;
//   - streams that were never created or were destroyed; devices that do not exist.
// A failing call returns the error code the real runtime returns and keeps a sentence saying what
// was wrong, which CUDA errors turned into exceptions (kernels/cuda/cuda_check.h) carry along.
// Streams run synchronously: every call has finished when it returns.
//
// The number of devices is 1, or the value of BYTEGRAD_EMULATED_CUDA_DEVICES (0 to 16).
#pragma once

#include <cuda_runtime_api.h>

#include <cstddef>
#include <string>

namespace bytegrad::kernels::cuda::emulation {

// The sentence explaining this OS thread's most recent failed call ("" when there is none);
// cleared by cudaGetLastError, as the error code is.
std::string last_error_detail();

// Records a failure as the runtime's last error (for launches, which return nothing).
void set_last_error(cudaError_t error, std::string detail);

// True when `stream` is the default stream (null) or one created and not yet destroyed.
bool is_valid_stream(const void* stream);

// The live device allocation containing [pointer, pointer + nbytes), or false.
bool is_device_memory(const void* pointer, size_t nbytes);

// Emulated devices in this process (BYTEGRAD_EMULATED_CUDA_DEVICES, default 1).
int emulated_device_count();

}  // namespace bytegrad::kernels::cuda::emulation
