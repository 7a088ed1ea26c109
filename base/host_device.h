// BYTEGRAD_HOST_DEVICE marks a function that CUDA kernels call as well as host code: `__host__
// __device__` under nvcc, nothing for g++ (the CPU build, and the emulated CUDA build, where
// kernels are host code).
#pragma once

#if defined(__CUDACC__)
#define BYTEGRAD_HOST_DEVICE __host__ __device__
#else
#define BYTEGRAD_HOST_DEVICE
#endif
