// Matrix products on a CUDA device through cuBLAS.
//
// GemmBatch describes row-major products; cuBLAS reads column-major. A row-major matrix with
// leading dimension ld, read column-major, is its own transpose with the same ld. So the
// row-major C = op(A) op(B) is the column-major C^T = op(B)^T op(A)^T: each call passes B before
// A, swaps m and n, and keeps each operand's transpose flag. No data moves.
#pragma once

#include <cublas_v2.h>

#include <vector>

#include "base/dtype.h"
#include "kernels/backend.h"

namespace bytegrad::kernels::cuda {

// Consecutive batch entries whose A, B and C offsets each advance by a constant stride (0 for
// an operand that the entries share): one cublasGemmStridedBatchedEx call computes them.
struct StridedRun {
  int64_t first = 0;  // the run's first batch entry
  int64_t count = 0;
  int64_t stride_a = 0, stride_b = 0, stride_c = 0;
};

// Splits a batch into strided runs, each as long as possible, from the first entry on. The
// offsets of a dense or expanded batch form one run; broadcasting [2, 1] batch dimensions against
// [1, 3] gives one run per row of the broadcast: (0, 1, 2) (0, 1, 2) for the repeated operand.
std::vector<StridedRun> strided_runs(const GemmBatch& batch);

// C[e] = op(A[e]) op(B[e]) for every entry e of `batch`, issued on `stream` through `handle`
// (whose stream it sets). a, b and c are device pointers of `dtype`, each entry's matrices at
// the batch's element offsets. float32 accumulates in float32 (with TF32 or bfloat16 inputs as
// kernels::float32_matmul_precision() says), float64 in float64, bfloat16 and float16 in float32. One cuBLAS call
// per strided run: a single product is cublasGemmEx, a run of several cublasGemmStridedBatchedEx.
// Throws Error for other dtypes, sizes beyond cuBLAS's int arguments, and failed calls (naming
// the status and the product's sizes).
void gemm(cublasHandle_t handle, cudaStream_t stream, DType dtype, const void* a, const void* b,
          void* c, const GemmBatch& batch);

}  // namespace bytegrad::kernels::cuda
