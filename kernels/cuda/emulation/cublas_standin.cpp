// A stand-in for the cuBLAS entry points bytegrad calls, for the build that emulates CUDA on the
// CPU: there device memory is host memory, so a GEMM can run here, on the calling thread.
//
// Every definition below matches NVIDIA's declaration in <cublas_v2.h>, which this file
// includes: a signature that drifted from the real one would not compile (an extern "C"
// function cannot be overloaded). Each call first validates its arguments by the BLAS rules in
// the order the reference BLAS checks them (operations, sizes, leading dimensions, then types)
// and fails as cuBLAS does: CUBLAS_STATUS_INVALID_VALUE for a bad argument, ..._NOT_SUPPORTED for
// a type combination cuBLAS does not offer, ..._NOT_INITIALIZED without a handle. A call site
// that swaps m and n or passes the wrong leading dimension therefore fails here as it would on a
// GPU, instead of reading past a matrix.
//
// Then it checks what a GPU would only fault on, later and far from the cause: every matrix of
// every batch entry must lie inside one live allocation of the stand-in runtime
// (kernels/cuda/emulation/runtime.h), and the handle's stream must exist. A violation returns
// CUBLAS_STATUS_EXECUTION_FAILED, as a faulting cuBLAS kernel does, and leaves the runtime's last
// error (cudaErrorIllegalAddress, or cudaErrorInvalidResourceHandle for the stream) with a
// sentence naming the matrix, the entry and the extent, which errors raised by our call sites
// carry along (kernels/cuda/cublas_check.h).
//
// The arithmetic honours the compute type: CUBLAS_COMPUTE_64F accumulates in double, the 32F
// types in float (the _FAST_ ones first round float32 inputs to TF32, bfloat16 or float16, as
// tensor cores would; so does CUBLAS_TF32_TENSOR_OP_MATH on the handle), CUBLAS_COMPUTE_16F
// rounds its sum to half after every step. Only host pointer mode exists (the default), and the
// handle's stream is not waited on: the emulated runtime completes every operation before the
// call that issues it returns.
#include <cublas_v2.h>

#include <bit>
#include <cstdint>
#include <cstdio>
#include <vector>

#include "base/error.h"
#include "base/half.h"
#include "kernels/cuda/emulation/runtime.h"

struct cublasContext {
  cudaStream_t stream = nullptr;
  cublasMath_t math_mode = CUBLAS_DEFAULT_MATH;
};

namespace {

using bytegrad::BFloat16;
using bytegrad::Float16;

// ---- argument checks ----

bool is_operation(cublasOperation_t op) {
  return op == CUBLAS_OP_N || op == CUBLAS_OP_T || op == CUBLAS_OP_C;
}

// Rows of op(X) as stored, column-major: X is [rows, cols] when op is N, [cols, rows] otherwise.
int64_t stored_rows(cublasOperation_t op, int64_t rows, int64_t cols) {
  return op == CUBLAS_OP_N ? rows : cols;
}

int64_t at_least_one(int64_t value) { return value > 1 ? value : 1; }

// The (A/B type, C type, compute type) combinations of cublasGemmEx's table that this stand-in
// computes; int8 products and the complex types are not among them.
bool supported_types(cudaDataType a_type, cudaDataType b_type, cudaDataType c_type,
                     cublasComputeType_t compute) {
  if (a_type != b_type) return false;
  switch (compute) {
    case CUBLAS_COMPUTE_16F:
    case CUBLAS_COMPUTE_16F_PEDANTIC:
      return a_type == CUDA_R_16F && c_type == CUDA_R_16F;
    case CUBLAS_COMPUTE_32F:
    case CUBLAS_COMPUTE_32F_PEDANTIC:
      if (a_type == CUDA_R_32F) return c_type == CUDA_R_32F;
      return (a_type == CUDA_R_16F || a_type == CUDA_R_16BF) &&
             (c_type == a_type || c_type == CUDA_R_32F);
    case CUBLAS_COMPUTE_32F_FAST_16F:
    case CUBLAS_COMPUTE_32F_FAST_16BF:
    case CUBLAS_COMPUTE_32F_FAST_TF32:
      return a_type == CUDA_R_32F && c_type == CUDA_R_32F;
    case CUBLAS_COMPUTE_64F:
    case CUBLAS_COMPUTE_64F_PEDANTIC:
      return a_type == CUDA_R_64F && c_type == CUDA_R_64F;
    default:
      return false;
  }
}

// One (possibly batched) product in column-major terms, as every GEMM entry point receives it:
// C[e] = alpha op(A[e]) op(B[e]) + beta C[e], entry e's matrices at e times each stride.
struct Gemm {
  cublasHandle_t handle;
  cublasOperation_t transa, transb;
  int64_t m, n, k;
  const void* alpha;
  const void* a;
  cudaDataType a_type;
  int64_t lda, stride_a;
  const void* b;
  cudaDataType b_type;
  int64_t ldb, stride_b;
  const void* beta;
  void* c;
  cudaDataType c_type;
  int64_t ldc, stride_c;
  int64_t batch_count;
  cublasComputeType_t compute;
  cublasGemmAlgo_t algo;
};

cublasStatus_t validate(const Gemm& g) {
  if (g.handle == nullptr) return CUBLAS_STATUS_NOT_INITIALIZED;
  if (!is_operation(g.transa) || !is_operation(g.transb)) return CUBLAS_STATUS_INVALID_VALUE;
  if (g.m < 0 || g.n < 0 || g.k < 0 || g.batch_count < 0) return CUBLAS_STATUS_INVALID_VALUE;
  // Column-major leading dimensions: at least the stored rows of each matrix, and at least 1.
  if (g.lda < at_least_one(stored_rows(g.transa, g.m, g.k))) return CUBLAS_STATUS_INVALID_VALUE;
  if (g.ldb < at_least_one(stored_rows(g.transb, g.k, g.n))) return CUBLAS_STATUS_INVALID_VALUE;
  if (g.ldc < at_least_one(g.m)) return CUBLAS_STATUS_INVALID_VALUE;
  if (g.alpha == nullptr || g.beta == nullptr) return CUBLAS_STATUS_INVALID_VALUE;
  const bool product_read = g.m > 0 && g.n > 0 && g.k > 0 && g.batch_count > 0;
  if (product_read && (g.a == nullptr || g.b == nullptr)) return CUBLAS_STATUS_INVALID_VALUE;
  if (g.m > 0 && g.n > 0 && g.batch_count > 0 && g.c == nullptr) return CUBLAS_STATUS_INVALID_VALUE;
  if (!supported_types(g.a_type, g.b_type, g.c_type, g.compute)) return CUBLAS_STATUS_NOT_SUPPORTED;
  if (g.algo != CUBLAS_GEMM_DEFAULT && g.algo != CUBLAS_GEMM_DEFAULT_TENSOR_OP &&
      !(g.algo >= CUBLAS_GEMM_ALGO0 && g.algo <= CUBLAS_GEMM_ALGO23) &&
      !(g.algo >= CUBLAS_GEMM_ALGO0_TENSOR_OP && g.algo <= CUBLAS_GEMM_ALGO15_TENSOR_OP))
    return CUBLAS_STATUS_INVALID_VALUE;
  return CUBLAS_STATUS_SUCCESS;
}

// ---- arithmetic ----

size_t element_size(cudaDataType type) {
  return type == CUDA_R_64F ? 8 : type == CUDA_R_32F ? 4 : 2;
}

// float32 rounded to nearest (ties to even) with 10 mantissa bits, as TF32 keeps.
float round_to_tf32(float value) {
  const uint32_t u = std::bit_cast<uint32_t>(value);
  if ((u & 0x7f800000u) == 0x7f800000u) return value;  // inf and NaN stay
  const uint32_t rounded = (u + 0xfffu + ((u >> 13) & 1u)) & ~0x1fffu;
  return std::bit_cast<float>(rounded);
}

double load(const void* base, cudaDataType type, int64_t index) {
  switch (type) {
    case CUDA_R_64F: return static_cast<const double*>(base)[index];
    case CUDA_R_32F: return static_cast<const float*>(base)[index];
    case CUDA_R_16BF: return float(static_cast<const BFloat16*>(base)[index]);
    default: return float(static_cast<const Float16*>(base)[index]);  // CUDA_R_16F
  }
}

void store(void* base, cudaDataType type, int64_t index, double value) {
  switch (type) {
    case CUDA_R_64F: static_cast<double*>(base)[index] = value; break;
    case CUDA_R_32F: static_cast<float*>(base)[index] = float(value); break;
    case CUDA_R_16BF: static_cast<BFloat16*>(base)[index] = BFloat16(float(value)); break;
    default: static_cast<Float16*>(base)[index] = Float16(float(value)); break;
  }
}

// How the inputs are rounded before they are multiplied.
float round_input(float value, cublasComputeType_t compute, bool tf32_math) {
  switch (compute) {
    case CUBLAS_COMPUTE_32F_FAST_TF32: return round_to_tf32(value);
    case CUBLAS_COMPUTE_32F_FAST_16BF: return float(BFloat16(value));
    case CUBLAS_COMPUTE_32F_FAST_16F: return float(Float16(value));
    case CUBLAS_COMPUTE_32F: return tf32_math ? round_to_tf32(value) : value;
    default: return value;
  }
}

// op(X) of one entry copied into a row-major [rows, depth] panel of the accumulator type, so
// that every output element is a dot product of two contiguous rows: op(A) by rows (m x k),
// op(B) by columns (n x k).
template <typename Acc>
std::vector<Acc> panel(const void* base, cudaDataType type, int64_t ld, bool by_rows_of_op,
                       cublasOperation_t op, int64_t rows, int64_t depth, const Gemm& g) {
  const bool tf32_math = (g.handle->math_mode & CUBLAS_TF32_TENSOR_OP_MATH) != 0 &&
                         type == CUDA_R_32F;
  std::vector<Acc> out(size_t(rows * depth));
  for (int64_t r = 0; r < rows; ++r)
    for (int64_t d = 0; d < depth; ++d) {
      // Element (r, d) of op(A) [m, k], or element (d, r) of op(B) [k, n]: column-major storage.
      const int64_t row = by_rows_of_op ? r : d, col = by_rows_of_op ? d : r;
      const int64_t index = op == CUBLAS_OP_N ? row + col * ld : col + row * ld;
      double value = load(base, type, index);
      if constexpr (!std::is_same_v<Acc, double>)
        value = round_input(float(value), g.compute, tf32_math);
      out[size_t(r * depth + d)] = Acc(value);
    }
  return out;
}

// The accumulator of CUBLAS_COMPUTE_16F: every partial sum rounded to half.
struct HalfSum {
  float value = 0.0f;
  void add(float x) { value = float(Float16(value + x)); }
};

template <typename Acc>
void multiply_entry(const Gemm& g, int64_t entry, Acc alpha, Acc beta) {
  const auto* a = static_cast<const char*>(g.a);
  const auto* b = static_cast<const char*>(g.b);
  auto* c = static_cast<char*>(g.c);
  const size_t a_size = element_size(g.a_type), c_size = element_size(g.c_type);
  const void* a_entry = a + size_t(entry * g.stride_a) * a_size;
  const void* b_entry = b + size_t(entry * g.stride_b) * a_size;
  void* c_entry = c + size_t(entry * g.stride_c) * c_size;
  const bool half_sum = g.compute == CUBLAS_COMPUTE_16F || g.compute == CUBLAS_COMPUTE_16F_PEDANTIC;
  std::vector<Acc> rows_a, columns_b;
  if (g.k > 0) {
    rows_a = panel<Acc>(a_entry, g.a_type, g.lda, true, g.transa, g.m, g.k, g);
    columns_b = panel<Acc>(b_entry, g.b_type, g.ldb, false, g.transb, g.n, g.k, g);
  }
#pragma omp parallel for if (g.m * g.n * g.k > (1 << 18))
  for (int64_t j = 0; j < g.n; ++j)
    for (int64_t i = 0; i < g.m; ++i) {
      Acc sum = 0;
      HalfSum half;
      for (int64_t p = 0; p < g.k; ++p) {
        const Acc product = rows_a[size_t(i * g.k + p)] * columns_b[size_t(j * g.k + p)];
        if (half_sum) half.add(float(product));
        else sum += product;
      }
      if (half_sum) sum = Acc(half.value);
      const int64_t index = i + j * g.ldc;
      // BLAS reads C only when beta is not zero: C may hold NaNs that must not survive.
      const Acc previous = beta == Acc(0) ? Acc(0) : Acc(load(c_entry, g.c_type, index));
      store(c_entry, g.c_type, index, double(alpha * sum + beta * previous));
    }
}

// ---- memory checks ----

// Bytes from the first to the last element of a column-major rows x cols matrix.
size_t matrix_bytes(int64_t rows, int64_t cols, int64_t ld, cudaDataType type) {
  if (rows == 0 || cols == 0) return 0;
  return size_t((cols - 1) * ld + rows) * element_size(type);
}

std::string pointer_text(const void* p) {
  char text[32];
  std::snprintf(text, sizeof text, "%p", p);
  return text;
}

// CUBLAS_STATUS_SUCCESS when every matrix the product reads or writes is device memory and the
// stream exists; otherwise records why as the runtime's last error (see the top of this file).
cublasStatus_t check_memory(const Gemm& g, const char* entry_point) {
  namespace emulation = bytegrad::kernels::cuda::emulation;
  if (!emulation::is_valid_stream(g.handle->stream)) {
    emulation::set_last_error(cudaErrorInvalidResourceHandle,
                              bytegrad::concat(entry_point, ": the handle's stream ",
                                               pointer_text(g.handle->stream),
                                               " was never created or has been destroyed"));
    return CUBLAS_STATUS_EXECUTION_FAILED;
  }
  struct Matrix {
    char name;
    const void* base;
    cudaDataType type;
    int64_t rows, cols, ld, stride;
  };
  const bool reads_products = g.k > 0;
  const Matrix matrices[] = {
      {'A', reads_products ? g.a : nullptr, g.a_type, stored_rows(g.transa, g.m, g.k),
       stored_rows(g.transa, g.k, g.m), g.lda, g.stride_a},
      {'B', reads_products ? g.b : nullptr, g.b_type, stored_rows(g.transb, g.k, g.n),
       stored_rows(g.transb, g.n, g.k), g.ldb, g.stride_b},
      {'C', g.c, g.c_type, g.m, g.n, g.ldc, g.stride_c}};
  for (const Matrix& matrix : matrices) {
    if (matrix.base == nullptr) continue;
    const size_t bytes = matrix_bytes(matrix.rows, matrix.cols, matrix.ld, matrix.type);
    for (int64_t e = 0; e < g.batch_count; ++e) {
      const void* start = static_cast<const char*>(matrix.base) +
                          e * matrix.stride * int64_t(element_size(matrix.type));
      if (emulation::is_device_memory(start, bytes)) continue;
      emulation::set_last_error(
          cudaErrorIllegalAddress,
          bytegrad::concat(entry_point, ": matrix ", matrix.name, " of batch entry ", e, " (",
                           matrix.rows, " x ", matrix.cols, " column-major, leading dimension ",
                           matrix.ld, ", ", bytes, " bytes from ", pointer_text(start),
                           ") does not lie inside one device allocation"));
      return CUBLAS_STATUS_EXECUTION_FAILED;
    }
  }
  return CUBLAS_STATUS_SUCCESS;
}

cublasStatus_t run(const Gemm& g, const char* entry_point) {
  if (const cublasStatus_t status = validate(g); status != CUBLAS_STATUS_SUCCESS) return status;
  if (g.m == 0 || g.n == 0 || g.batch_count == 0) return CUBLAS_STATUS_SUCCESS;
  if (const cublasStatus_t status = check_memory(g, entry_point); status != CUBLAS_STATUS_SUCCESS)
    return status;
  for (int64_t e = 0; e < g.batch_count; ++e) {
    if (g.compute == CUBLAS_COMPUTE_64F || g.compute == CUBLAS_COMPUTE_64F_PEDANTIC) {
      multiply_entry<double>(g, e, *static_cast<const double*>(g.alpha),
                             *static_cast<const double*>(g.beta));
    } else if (g.compute == CUBLAS_COMPUTE_16F || g.compute == CUBLAS_COMPUTE_16F_PEDANTIC) {
      // alpha and beta have the compute type: half.
      multiply_entry<float>(g, e, float(*static_cast<const Float16*>(g.alpha)),
                            float(*static_cast<const Float16*>(g.beta)));
    } else {
      multiply_entry<float>(g, e, *static_cast<const float*>(g.alpha),
                            *static_cast<const float*>(g.beta));
    }
  }
  return CUBLAS_STATUS_SUCCESS;
}

}  // namespace

// ---- the entry points ----

cublasStatus_t CUBLASWINAPI cublasCreate_v2(cublasHandle_t* handle) {
  if (handle == nullptr) return CUBLAS_STATUS_INVALID_VALUE;
  *handle = new cublasContext;
  return CUBLAS_STATUS_SUCCESS;
}

cublasStatus_t CUBLASWINAPI cublasDestroy_v2(cublasHandle_t handle) {
  if (handle == nullptr) return CUBLAS_STATUS_NOT_INITIALIZED;
  delete handle;
  return CUBLAS_STATUS_SUCCESS;
}

cublasStatus_t CUBLASWINAPI cublasSetStream_v2(cublasHandle_t handle, cudaStream_t stream) {
  if (handle == nullptr) return CUBLAS_STATUS_NOT_INITIALIZED;
  handle->stream = stream;
  return CUBLAS_STATUS_SUCCESS;
}

cublasStatus_t CUBLASWINAPI cublasGetStream_v2(cublasHandle_t handle, cudaStream_t* stream) {
  if (handle == nullptr) return CUBLAS_STATUS_NOT_INITIALIZED;
  if (stream == nullptr) return CUBLAS_STATUS_INVALID_VALUE;
  *stream = handle->stream;
  return CUBLAS_STATUS_SUCCESS;
}

cublasStatus_t CUBLASWINAPI cublasSetMathMode(cublasHandle_t handle, cublasMath_t mode) {
  if (handle == nullptr) return CUBLAS_STATUS_NOT_INITIALIZED;
  handle->math_mode = mode;
  return CUBLAS_STATUS_SUCCESS;
}

cublasStatus_t CUBLASWINAPI cublasGetMathMode(cublasHandle_t handle, cublasMath_t* mode) {
  if (handle == nullptr) return CUBLAS_STATUS_NOT_INITIALIZED;
  if (mode == nullptr) return CUBLAS_STATUS_INVALID_VALUE;
  *mode = handle->math_mode;
  return CUBLAS_STATUS_SUCCESS;
}

const char* CUBLASWINAPI cublasGetStatusName(cublasStatus_t status) {
  switch (status) {
    case CUBLAS_STATUS_SUCCESS: return "CUBLAS_STATUS_SUCCESS";
    case CUBLAS_STATUS_NOT_INITIALIZED: return "CUBLAS_STATUS_NOT_INITIALIZED";
    case CUBLAS_STATUS_ALLOC_FAILED: return "CUBLAS_STATUS_ALLOC_FAILED";
    case CUBLAS_STATUS_INVALID_VALUE: return "CUBLAS_STATUS_INVALID_VALUE";
    case CUBLAS_STATUS_ARCH_MISMATCH: return "CUBLAS_STATUS_ARCH_MISMATCH";
    case CUBLAS_STATUS_MAPPING_ERROR: return "CUBLAS_STATUS_MAPPING_ERROR";
    case CUBLAS_STATUS_EXECUTION_FAILED: return "CUBLAS_STATUS_EXECUTION_FAILED";
    case CUBLAS_STATUS_INTERNAL_ERROR: return "CUBLAS_STATUS_INTERNAL_ERROR";
    case CUBLAS_STATUS_NOT_SUPPORTED: return "CUBLAS_STATUS_NOT_SUPPORTED";
    case CUBLAS_STATUS_LICENSE_ERROR: return "CUBLAS_STATUS_LICENSE_ERROR";
  }
  return "CUBLAS_STATUS_UNKNOWN";
}

const char* CUBLASWINAPI cublasGetStatusString(cublasStatus_t status) {
  switch (status) {
    case CUBLAS_STATUS_SUCCESS: return "success";
    case CUBLAS_STATUS_NOT_INITIALIZED: return "the library was not initialized";
    case CUBLAS_STATUS_ALLOC_FAILED: return "the resource allocation failed";
    case CUBLAS_STATUS_INVALID_VALUE: return "an invalid value was used as an argument";
    case CUBLAS_STATUS_ARCH_MISMATCH: return "an absent device architectural feature is required";
    case CUBLAS_STATUS_MAPPING_ERROR: return "an access to GPU memory space failed";
    case CUBLAS_STATUS_EXECUTION_FAILED: return "the GPU program failed to execute";
    case CUBLAS_STATUS_INTERNAL_ERROR: return "an internal operation failed";
    case CUBLAS_STATUS_NOT_SUPPORTED: return "the functionality requested is not supported";
    case CUBLAS_STATUS_LICENSE_ERROR: return "error detected trying to check the license";
  }
  return "unknown error";
}

cublasStatus_t CUBLASWINAPI cublasGemmEx(cublasHandle_t handle, cublasOperation_t transa,
                                         cublasOperation_t transb, int m, int n, int k,
                                         const void* alpha, const void* A, cudaDataType Atype,
                                         int lda, const void* B, cudaDataType Btype, int ldb,
                                         const void* beta, void* C, cudaDataType Ctype, int ldc,
                                         cublasComputeType_t computeType, cublasGemmAlgo_t algo) {
  return run(Gemm{handle, transa, transb, m, n, k, alpha, A, Atype, lda, 0, B, Btype, ldb, 0,
                  beta, C, Ctype, ldc, 0, 1, computeType, algo},
             "cublasGemmEx");
}

cublasStatus_t CUBLASWINAPI cublasGemmStridedBatchedEx(
    cublasHandle_t handle, cublasOperation_t transa, cublasOperation_t transb, int m, int n, int k,
    const void* alpha, const void* A, cudaDataType Atype, int lda, long long int strideA,
    const void* B, cudaDataType Btype, int ldb, long long int strideB, const void* beta, void* C,
    cudaDataType Ctype, int ldc, long long int strideC, int batchCount,
    cublasComputeType_t computeType, cublasGemmAlgo_t algo) {
  return run(Gemm{handle, transa, transb, m, n, k, alpha, A, Atype, lda, strideA, B, Btype, ldb,
                  strideB, beta, C, Ctype, ldc, strideC, batchCount, computeType, algo},
             "cublasGemmStridedBatchedEx");
}
