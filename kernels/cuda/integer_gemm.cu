#include "kernels/cuda/cuda_check.h"
#include "kernels/cuda/cuda_compat.h"
#include "kernels/cuda/integer_gemm.h"

namespace bytegrad::kernels::cuda {
namespace {

constexpr unsigned kTile = 16;  // a block covers a 16 x 16 tile of C

template <typename T>
__global__ void integer_gemm_kernel(const T* a, const T* b, T* c, int64_t m, int64_t n, int64_t k,
                                    bool transpose_a, bool transpose_b, int64_t lda, int64_t ldb,
                                    int64_t ldc) {
  const int64_t i = int64_t(blockIdx.y) * blockDim.y + threadIdx.y;
  const int64_t j = int64_t(blockIdx.x) * blockDim.x + threadIdx.x;
  if (i >= m || j >= n) return;
  // Unsigned arithmetic wraps where a signed overflow would be undefined.
  uint64_t sum = 0;
  for (int64_t p = 0; p < k; ++p) {
    const T x = transpose_a ? a[p * lda + i] : a[i * lda + p];
    const T y = transpose_b ? b[j * ldb + p] : b[p * ldb + j];
    sum += uint64_t(int64_t(x)) * uint64_t(int64_t(y));
  }
  c[i * ldc + j] = T(int64_t(sum));
}

}  // namespace

template <typename T>
void integer_gemm(cudaStream_t stream, const T* a, const T* b, T* c, int64_t m, int64_t n,
                  int64_t k, bool transpose_a, bool transpose_b, int64_t lda, int64_t ldb,
                  int64_t ldc) {
  if (m <= 0 || n <= 0) return;
  const dim3 grid(unsigned((n + kTile - 1) / kTile), unsigned((m + kTile - 1) / kTile));
  launch(integer_gemm_kernel<T>, grid, dim3(kTile, kTile), 0, stream, a, b, c, m, n, k,
         transpose_a, transpose_b, lda, ldb, ldc);
  BYTEGRAD_CUDA_CHECK_LAUNCH("integer_gemm");
}

template void integer_gemm<int32_t>(cudaStream_t, const int32_t*, const int32_t*, int32_t*,
                                    int64_t, int64_t, int64_t, bool, bool, int64_t, int64_t,
                                    int64_t);
template void integer_gemm<int64_t>(cudaStream_t, const int64_t*, const int64_t*, int64_t*,
                                    int64_t, int64_t, int64_t, bool, bool, int64_t, int64_t,
                                    int64_t);
template void integer_gemm<uint8_t>(cudaStream_t, const uint8_t*, const uint8_t*, uint8_t*,
                                    int64_t, int64_t, int64_t, bool, bool, int64_t, int64_t,
                                    int64_t);
template void integer_gemm<int8_t>(cudaStream_t, const int8_t*, const int8_t*, int8_t*,
                                   int64_t, int64_t, int64_t, bool, bool, int64_t, int64_t,
                                   int64_t);

}  // namespace bytegrad::kernels::cuda
