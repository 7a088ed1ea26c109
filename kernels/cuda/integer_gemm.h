// Integer matrix products on a CUDA device, which cuBLAS does not offer beyond int8: one row-major
// product C = op(A) op(B) of int32, int64 or uint8 matrices, as the CPU backend's plain loop computes it
// (products and sums in int64, wrapping as C++ integers do, then narrowed to the element type).
// Integer products are rare and small (index arithmetic, tests), so the kernel is the textbook one:
// one thread per element of C. Issued on `stream`; a failed launch throws Error.
#pragma once

#include <cuda_runtime_api.h>

#include <cstdint>

namespace bytegrad::kernels::cuda {

template <typename T>
void integer_gemm(cudaStream_t stream, const T* a, const T* b, T* c, int64_t m, int64_t n,
                  int64_t k, bool transpose_a, bool transpose_b, int64_t lda, int64_t ldb,
                  int64_t ldc);

}  // namespace bytegrad::kernels::cuda
