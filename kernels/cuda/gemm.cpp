// Matrix products on a CUDA device: floating-point ones through cuBLAS (see gemm.h for the
// row-major to column-major mapping), integer ones through our kernel (integer_gemm.h), and
// CudaBackend::gemm choosing between them.
#include "kernels/cuda/gemm.h"

#include <climits>
#include <mutex>

#include "base/error.h"
#include "kernels/cuda/cublas_check.h"
#include "kernels/cuda/cuda_backend.h"
#include "kernels/cuda/device_types.h"
#include "kernels/cuda/integer_gemm.h"
#include "kernels/matmul_precision.h"

namespace bytegrad::kernels::cuda {
namespace {

// How cuBLAS stores and multiplies one dtype. alpha and beta have the compute type's scalar
// type: float for every float32 compute type, double for float64.
struct CublasTypes {
  cudaDataType data;
  cublasComputeType_t compute;
  bool double_scalars;
};

// float32's compute type follows kernels::float32_matmul_precision(): the _FAST_ types let cuBLAS
// round the inputs to TF32 or bfloat16 for the tensor cores and still accumulate in float32.
cublasComputeType_t float32_compute_type() {
  switch (float32_matmul_precision()) {
    case MatmulPrecision::High: return CUBLAS_COMPUTE_32F_FAST_TF32;
    case MatmulPrecision::Medium: return CUBLAS_COMPUTE_32F_FAST_16BF;
    case MatmulPrecision::Highest: break;
  }
  return CUBLAS_COMPUTE_32F;
}

CublasTypes cublas_types(DType dtype) {
  switch (dtype) {
    case DType::Float32: return {CUDA_R_32F, float32_compute_type(), false};
    case DType::Float64: return {CUDA_R_64F, CUBLAS_COMPUTE_64F, true};
    // Half types keep float32 accumulators, as PyTorch does: a sum of k half-precision products
    // in half precision would lose about log2(k) of its 11 (or 8) significant bits.
    case DType::BFloat16: return {CUDA_R_16BF, CUBLAS_COMPUTE_32F, false};
    case DType::Float16: return {CUDA_R_16F, CUBLAS_COMPUTE_32F, false};
    default:
      throw Error(concat("cuda gemm: cuBLAS multiplies float32, float64, bfloat16 and float16, not ",
                         dtype));
  }
}

std::string describe(DType dtype, const GemmBatch& g) {
  return concat("cuda gemm (", dtype, ", row-major m=", g.m, " n=", g.n, " k=", g.k,
                g.transpose_a ? " A^T" : " A", g.transpose_b ? " B^T" : " B", " lda=", g.lda,
                " ldb=", g.ldb, " ldc=", g.ldc, ", ", g.c_offsets.size(), " entries)");
}

// cuBLAS's sizes, leading dimensions and batch counts are ints.
void check_int_range(DType dtype, const GemmBatch& g) {
  for (const int64_t value : {g.m, g.n, g.k, g.lda, g.ldb, g.ldc, int64_t(g.c_offsets.size())})
    BYTEGRAD_CHECK(value >= 0 && value <= INT_MAX, describe(dtype, g),
                   ": a size, leading dimension or batch count of ", value,
                   " lies outside cuBLAS's int arguments (0 .. ", INT_MAX, ")");
  BYTEGRAD_CHECK(g.a_offsets.size() == g.c_offsets.size() && g.b_offsets.size() == g.c_offsets.size(),
                 describe(dtype, g), ": offsets for ", g.a_offsets.size(), " A, ",
                 g.b_offsets.size(), " B and ", g.c_offsets.size(), " C entries; expected one each");
}

cublasOperation_t operation(bool transpose) { return transpose ? CUBLAS_OP_T : CUBLAS_OP_N; }

// One cuBLAS handle per device, created on first use and kept for the life of the process, as
// the backends are: a handle holds device workspace and takes milliseconds to create.
cublasHandle_t cublas_handle(int device) {
  constexpr int kMaxDevices = 16;
  static cublasHandle_t handles[kMaxDevices] = {};
  static std::mutex mutex;
  BYTEGRAD_CHECK(device >= 0 && device < kMaxDevices, "cuda:", device, ": no cuBLAS handle for it");
  std::lock_guard lock(mutex);
  if (!handles[device])
    check_cublas(cublasCreate(&handles[device]), "cublasCreate",
                 [&] { return concat("cuda:", device, ": creating the cuBLAS handle"); });
  return handles[device];
}

}  // namespace

std::vector<StridedRun> strided_runs(const GemmBatch& g) {
  const int64_t entries = int64_t(g.c_offsets.size());
  auto step = [&](std::span<const int64_t> offsets, int64_t e) {
    return offsets[size_t(e + 1)] - offsets[size_t(e)];
  };
  std::vector<StridedRun> runs;
  for (int64_t first = 0; first < entries;) {
    StridedRun run{first, 1, 0, 0, 0};
    if (first + 1 < entries) {
      run.stride_a = step(g.a_offsets, first);
      run.stride_b = step(g.b_offsets, first);
      run.stride_c = step(g.c_offsets, first);
      run.count = 2;
      for (int64_t last = first + 1; last + 1 < entries; ++last, ++run.count)
        if (step(g.a_offsets, last) != run.stride_a || step(g.b_offsets, last) != run.stride_b ||
            step(g.c_offsets, last) != run.stride_c)
          break;
    }
    runs.push_back(run);
    first += run.count;
  }
  return runs;
}

void gemm(cublasHandle_t handle, cudaStream_t stream, DType dtype, const void* a, const void* b,
          void* c, const GemmBatch& g) {
  if (g.m == 0 || g.n == 0 || g.c_offsets.empty()) return;
  const CublasTypes types = cublas_types(dtype);
  check_int_range(dtype, g);
  auto what = [&] { return describe(dtype, g); };
  check_cublas(cublasSetStream(handle, stream), "cublasSetStream", what);

  const float float_one = 1.0f, float_zero = 0.0f;
  const double double_one = 1.0, double_zero = 0.0;
  const void* alpha = types.double_scalars ? static_cast<const void*>(&double_one) : &float_one;
  const void* beta = types.double_scalars ? static_cast<const void*>(&double_zero) : &float_zero;
  const size_t element = dtype_size(dtype);
  auto at = [&](const void* base, int64_t offset) {
    return static_cast<const char*>(base) + size_t(offset) * element;
  };
  // Column-major C^T [n, m] = op(B)^T [n, k] op(A)^T [k, m] (see the header).
  const cublasOperation_t op_b = operation(g.transpose_b), op_a = operation(g.transpose_a);
  const int m = int(g.n), n = int(g.m), k = int(g.k);
  for (const StridedRun& run : strided_runs(g)) {
    const size_t e = size_t(run.first);
    const void* first_b = at(b, g.b_offsets[e]);
    const void* first_a = at(a, g.a_offsets[e]);
    void* first_c = const_cast<char*>(at(c, g.c_offsets[e]));
    if (run.count == 1) {
      check_cublas(cublasGemmEx(handle, op_b, op_a, m, n, k, alpha, first_b, types.data, int(g.ldb),
                                first_a, types.data, int(g.lda), beta, first_c, types.data,
                                int(g.ldc), types.compute, CUBLAS_GEMM_DEFAULT),
                   "cublasGemmEx", what);
    } else {
      check_cublas(cublasGemmStridedBatchedEx(
                       handle, op_b, op_a, m, n, k, alpha, first_b, types.data, int(g.ldb),
                       run.stride_b, first_a, types.data, int(g.lda), run.stride_a, beta, first_c,
                       types.data, int(g.ldc), run.stride_c, int(run.count), types.compute,
                       CUBLAS_GEMM_DEFAULT),
                   "cublasGemmStridedBatchedEx", what);
    }
  }
}

void CudaBackend::gemm(DType dtype, const void* a, const void* b, void* c, const GemmBatch& g) {
  if (g.m == 0 || g.n == 0) return;
  BYTEGRAD_CHECK(dtype != DType::Bool,
                 "matmul: bool tensors have no products; convert to another dtype first");
  activate();
  if (is_floating(dtype)) {
    cuda::gemm(cublas_handle(device_), stream_, dtype, a, b, c, g);
    return;
  }
  visit_device_dtype(dtype, [&]<typename T>() {
    if constexpr (std::is_integral_v<T> && !std::is_same_v<T, bool>) {
      for (size_t e = 0; e < g.c_offsets.size(); ++e)
        integer_gemm(stream_, static_cast<const T*>(a) + g.a_offsets[e],
                     static_cast<const T*>(b) + g.b_offsets[e], static_cast<T*>(c) + g.c_offsets[e],
                     g.m, g.n, g.k, g.transpose_a, g.transpose_b, g.lda, g.ldb, g.ldc);
    }
  });
}

}  // namespace bytegrad::kernels::cuda
