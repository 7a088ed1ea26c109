// The cuBLAS call sites of kernels/cuda/gemm.h against a naive row-major product in double.
//
// One source, two libraries: the emulated build links the stand-in of
// kernels/cuda/emulation/cublas_standin.cpp, a GPU build links NVIDIA's cuBLAS, and both must
// pass. Sizes are odd and non-square (7 x 5 x 3, 1 x 13 x 2, primes) so that swapping m and n, or
// A and B, or a transpose flag cannot give the right answer by accident, and matrices sit inside
// larger rows (leading dimensions above the minimum) so that a wrong leading dimension reads the
// wrong elements. A build whose CUDA runtime finds no device skips these cases.
#include <cublas_v2.h>
#include <cuda_runtime_api.h>
#include <doctest/doctest.h>

#include <cmath>
#include <cstring>
#include <limits>
#include <random>
#include <string>
#include <vector>

#include "base/dtype.h"
#include "base/error.h"
#include "kernels/backend.h"
#include "kernels/cuda/gemm.h"
#include "kernels/matmul_precision.h"
#include "tests/cuda/device_array.h"

namespace bytegrad::testing {
namespace {

using kernels::GemmBatch;

class CublasHandle {
 public:
  CublasHandle() { REQUIRE(cublasCreate(&handle_) == CUBLAS_STATUS_SUCCESS); }
  CublasHandle(const CublasHandle&) = delete;
  CublasHandle& operator=(const CublasHandle&) = delete;
  ~CublasHandle() { cublasDestroy(handle_); }
  cublasHandle_t get() const { return handle_; }

 private:
  cublasHandle_t handle_ = nullptr;
};

// Values in [-1, 1) as the dtype stores them, so that the reference multiplies what the device
// multiplies.
std::vector<double> random_values(size_t count, DType dtype, uint32_t seed) {
  std::mt19937 engine(seed);
  std::uniform_real_distribution<double> uniform(-1.0, 1.0);
  std::vector<double> values(count);
  visit_dtype(dtype, [&]<typename T>() {
    for (double& v : values) v = convert<double>(convert<T>(uniform(engine)));
  });
  return values;
}

// Relative error bound per dtype on |sum of products|: float32 accumulates k rounded products,
// the half types also round the result to 8 (bfloat16) or 11 (float16) significant bits.
double tolerance(DType dtype) {
  switch (dtype) {
    case DType::Float64: return 1e-13;
    case DType::Float32: return kernels::allow_tf32() ? 2e-3 : 1e-5;
    case DType::Float16: return 2e-3;
    default: return 1e-2;  // bfloat16
  }
}

// One product in GemmBatch terms, its buffers sized from its offsets, padded rows (leading
// dimensions above the minimum) and the element that marks untouched memory in C.
struct Problem {
  DType dtype;
  GemmBatch batch;
  std::vector<int64_t> a_offsets, b_offsets, c_offsets;
  int64_t a_size = 0, b_size = 0, c_size = 0;
};

constexpr double kUntouched = -7.0;  // exact in every dtype

int64_t span_end(const std::vector<int64_t>& offsets, int64_t rows, int64_t ld) {
  int64_t end = 0;
  for (int64_t o : offsets) end = std::max(end, o + rows * ld);
  return end;
}

Problem make_problem(DType dtype, int64_t m, int64_t n, int64_t k, bool transpose_a,
                     bool transpose_b, int64_t padding, std::vector<int64_t> a_offsets,
                     std::vector<int64_t> b_offsets, std::vector<int64_t> c_offsets) {
  Problem p{dtype, {}, std::move(a_offsets), std::move(b_offsets), std::move(c_offsets)};
  const int64_t a_rows = transpose_a ? k : m, a_cols = transpose_a ? m : k;
  const int64_t b_rows = transpose_b ? n : k, b_cols = transpose_b ? k : n;
  GemmBatch& g = p.batch;
  g.m = m, g.n = n, g.k = k;
  g.transpose_a = transpose_a, g.transpose_b = transpose_b;
  g.lda = a_cols + padding, g.ldb = b_cols + padding, g.ldc = n + padding;
  g.a_offsets = p.a_offsets, g.b_offsets = p.b_offsets, g.c_offsets = p.c_offsets;
  p.a_size = span_end(p.a_offsets, a_rows, g.lda);
  p.b_size = span_end(p.b_offsets, b_rows, g.ldb);
  p.c_size = span_end(p.c_offsets, m, g.ldc);
  return p;
}

// Offsets e * stride + first for `entries` entries.
std::vector<int64_t> strided(int64_t entries, int64_t stride, int64_t first = 0) {
  std::vector<int64_t> offsets(static_cast<size_t>(entries));
  for (int64_t e = 0; e < entries; ++e) offsets[size_t(e)] = first + e * stride;
  return offsets;
}

// Runs the problem through kernels::cuda::gemm and checks every element of every C entry against
// the double-precision product, and every element outside them for writes.
void check_problem(const Problem& p, uint32_t seed) {
  const GemmBatch& g = p.batch;
  INFO(p.dtype, " m=", g.m, " n=", g.n, " k=", g.k, g.transpose_a ? " A^T" : " A",
       g.transpose_b ? " B^T" : " B", " lda=", g.lda, " ldb=", g.ldb, " ldc=", g.ldc, ", ",
       p.c_offsets.size(), " entries");
  const std::vector<double> a = random_values(size_t(p.a_size), p.dtype, seed);
  const std::vector<double> b = random_values(size_t(p.b_size), p.dtype, seed + 1);
  // C starts as NaN inside the entries (beta is 0: BLAS must not read it) and as a marker
  // outside them (nothing may write there).
  std::vector<double> c(size_t(p.c_size), kUntouched);
  std::vector<bool> inside(c.size(), false);
  for (int64_t o : p.c_offsets)
    for (int64_t i = 0; i < g.m; ++i)
      for (int64_t j = 0; j < g.n; ++j) {
        c[size_t(o + i * g.ldc + j)] = std::numeric_limits<double>::quiet_NaN();
        inside[size_t(o + i * g.ldc + j)] = true;
      }
  const DeviceArray device_a(p.dtype, a), device_b(p.dtype, b), device_c(p.dtype, c);
  const CublasHandle handle;
  kernels::cuda::gemm(handle.get(), cudaStream_t{}, p.dtype, device_a.data(), device_b.data(),
                      device_c.data(), g);
  const std::vector<double> result = device_c.download();

  for (size_t e = 0; e < p.c_offsets.size(); ++e)
    for (int64_t i = 0; i < g.m; ++i)
      for (int64_t j = 0; j < g.n; ++j) {
        double expected = 0, magnitude = 0;
        for (int64_t q = 0; q < g.k; ++q) {
          const double x = g.transpose_a ? a[size_t(p.a_offsets[e] + q * g.lda + i)]
                                         : a[size_t(p.a_offsets[e] + i * g.lda + q)];
          const double y = g.transpose_b ? b[size_t(p.b_offsets[e] + j * g.ldb + q)]
                                         : b[size_t(p.b_offsets[e] + q * g.ldb + j)];
          expected += x * y;
          magnitude += std::abs(x * y);
        }
        const double actual = result[size_t(p.c_offsets[e] + i * g.ldc + j)];
        INFO("entry ", e, " element (", i, ", ", j, ")");
        CHECK(std::abs(actual - expected) <= tolerance(p.dtype) * magnitude + 1e-30);
      }
  for (size_t at = 0; at < result.size(); ++at)
    if (!inside[at]) CHECK(result[at] == kUntouched);
}

const std::vector<DType> kGemmDTypes = {kFloat32, kFloat64, kBFloat16, kFloat16};

struct Size {
  int64_t m, n, k;
};
const std::vector<Size> kOddSizes = {{7, 5, 3}, {1, 13, 2}, {13, 1, 2}, {5, 7, 11},
                                     {3, 2, 17}, {31, 37, 41}, {1, 1, 1}};

TEST_CASE("cuda gemm: one product of odd sizes, every transpose, every float dtype") {
  if (!have_cuda_device()) return;
  uint32_t seed = 1;
  for (const DType dtype : kGemmDTypes)
    for (const Size s : kOddSizes)
      for (const bool transpose_a : {false, true})
        for (const bool transpose_b : {false, true})
          for (const int64_t padding : {0, 3})
            check_problem(make_problem(dtype, s.m, s.n, s.k, transpose_a, transpose_b, padding,
                                       {0}, {0}, {0}),
                          seed++);
}

TEST_CASE("cuda gemm: a uniformly strided batch with offsets and padding") {
  if (!have_cuda_device()) return;
  // Entries start past the buffers' beginnings and leave gaps between them.
  for (const DType dtype : kGemmDTypes)
    for (const bool transpose_a : {false, true})
      for (const bool transpose_b : {false, true}) {
        const int64_t m = 5, n = 3, k = 7, entries = 4;
        const int64_t padded = 2;
        Problem p = make_problem(dtype, m, n, k, transpose_a, transpose_b, padded,
                                 strided(entries, 60, 4), strided(entries, 45, 9),
                                 strided(entries, 30, 2));
        check_problem(p, 11);
      }
}

TEST_CASE("cuda gemm: broadcast and irregular batches") {
  if (!have_cuda_device()) return;
  for (const DType dtype : {kFloat32, kBFloat16}) {
    SUBCASE("one operand repeated: [2, 3] batch of A against a [3] batch of B") {
      check_problem(make_problem(dtype, 7, 5, 3, false, true, 1, strided(6, 7 * 4),
                                 {0, 20, 40, 0, 20, 40}, strided(6, 7 * 6)),
                    21);
    }
    SUBCASE("one B for every entry (stride 0)") {
      check_problem(make_problem(dtype, 2, 13, 11, true, false, 0, strided(5, 40, 3), {0, 0, 0, 0, 0},
                                 strided(5, 26)),
                    22);
    }
    SUBCASE("offsets with no common stride") {
      check_problem(make_problem(dtype, 3, 5, 2, false, false, 0, {0, 6, 30, 8}, {50, 0, 10, 24},
                                 {0, 15, 60, 30}),
                    23);
    }
  }
}

TEST_CASE("cuda gemm: strided_runs groups entries into as few cuBLAS calls as the offsets allow") {
  auto runs_of = [](std::vector<int64_t> a, std::vector<int64_t> b, std::vector<int64_t> c) {
    GemmBatch g{2, 2, 2, false, false, 2, 2, 2, a, b, c};
    return kernels::cuda::strided_runs(g);
  };
  SUBCASE("a dense batch is one run") {
    const auto runs = runs_of({0, 4, 8, 12}, {3, 3, 3, 3}, {0, 4, 8, 12});
    REQUIRE(runs.size() == 1);
    CHECK(runs[0].count == 4);
    CHECK(runs[0].stride_a == 4);
    CHECK(runs[0].stride_b == 0);
    CHECK(runs[0].stride_c == 4);
  }
  SUBCASE("a repeated operand splits the batch at each repetition") {
    const auto runs = runs_of({0, 4, 8, 12, 16, 20}, {0, 4, 8, 0, 4, 8}, {0, 4, 8, 12, 16, 20});
    REQUIRE(runs.size() == 2);
    CHECK(runs[0].first == 0);
    CHECK(runs[0].count == 3);
    CHECK(runs[1].first == 3);
    CHECK(runs[1].count == 3);
    CHECK(runs[1].stride_b == 4);
  }
  SUBCASE("one entry is a run of one") {
    const auto runs = runs_of({5}, {6}, {7});
    REQUIRE(runs.size() == 1);
    CHECK(runs[0].count == 1);
  }
}

TEST_CASE("cuda gemm: allow_tf32 is off by default and reaches cuBLAS when set") {
  if (!have_cuda_device()) return;
  CHECK_FALSE(kernels::allow_tf32());
  // Every A element is 1 + 2^-13, below TF32's precision (10 mantissa bits): float32 keeps it.
  const int64_t m = 3, n = 5, k = 7;
  const float x = 1.0f + std::ldexp(1.0f, -13);
  const std::vector<int64_t> zero = {0};
  const GemmBatch g{m, n, k, false, false, k, n, n, zero, zero, zero};
  auto product = [&] {
    const DeviceArray a(kFloat32, std::vector<double>(size_t(m * k), double(x)));
    const DeviceArray b(kFloat32, std::vector<double>(size_t(k * n), 1.0));
    const DeviceArray c(kFloat32, std::vector<double>(size_t(m * n), 0.0));
    const CublasHandle handle;
    kernels::cuda::gemm(handle.get(), cudaStream_t{}, kFloat32, a.data(), b.data(), c.data(), g);
    return c.download();
  };
  for (const double value : product()) CHECK(value == double(float(k) * x));
  kernels::set_allow_tf32(true);
  const std::vector<double> tf32 = product();
  kernels::set_allow_tf32(false);
  for (const double value : tf32) {
    // cuBLAS may or may not pick a tensor-core kernel for so small a product; either way the
    // result is within TF32's rounding of the exact one.
    CHECK(std::abs(value - double(k) * double(x)) <= double(k) * std::ldexp(1.0, -11));
#if defined(BYTEGRAD_CUDA_EMULATION)
    CHECK(value == double(k));  // the stand-in always rounds the inputs, as tensor cores do
#endif
  }
}

TEST_CASE("cuda gemm: dtypes without cuBLAS products are refused by name") {
  if (!have_cuda_device()) return;
  const std::vector<int64_t> zero = {0};
  const GemmBatch g{2, 2, 2, false, false, 2, 2, 2, zero, zero, zero};
  const CublasHandle handle;
  CHECK_THROWS_WITH_AS(kernels::cuda::gemm(handle.get(), cudaStream_t{}, kInt64, nullptr, nullptr,
                                           nullptr, g),
                       doctest::Contains("not int64"), Error);
}

// ---- the BLAS argument rules, as cuBLAS applies them (and the stand-in must) ----

TEST_CASE("cuda gemm: a leading dimension below the rows of a stored matrix is rejected") {
  if (!have_cuda_device()) return;
  const CublasHandle handle;
  const DeviceArray a(kFloat32, std::vector<double>(64, 1.0)), b(kFloat32, std::vector<double>(64, 1.0)),
      c(kFloat32, std::vector<double>(64, 0.0));
  const float one = 1.0f, zero = 0.0f;
  // Column-major C [7, 5] = A [7, 3] B [3, 5]: lda >= 7, ldb >= 3, ldc >= 7.
  auto call = [&](cublasOperation_t ta, cublasOperation_t tb, int lda, int ldb, int ldc) {
    return cublasGemmEx(handle.get(), ta, tb, 7, 5, 3, &one, a.data(), CUDA_R_32F, lda, b.data(),
                        CUDA_R_32F, ldb, &zero, c.data(), CUDA_R_32F, ldc, CUBLAS_COMPUTE_32F,
                        CUBLAS_GEMM_DEFAULT);
  };
  CHECK(call(CUBLAS_OP_N, CUBLAS_OP_N, 7, 3, 7) == CUBLAS_STATUS_SUCCESS);
  CHECK(call(CUBLAS_OP_N, CUBLAS_OP_N, 6, 3, 7) == CUBLAS_STATUS_INVALID_VALUE);
  CHECK(call(CUBLAS_OP_N, CUBLAS_OP_N, 7, 2, 7) == CUBLAS_STATUS_INVALID_VALUE);
  CHECK(call(CUBLAS_OP_N, CUBLAS_OP_N, 7, 3, 6) == CUBLAS_STATUS_INVALID_VALUE);
  // Transposed, A is stored [3, 7] and B [5, 3]: lda >= 3 and ldb >= 5 suffice, less does not.
  CHECK(call(CUBLAS_OP_T, CUBLAS_OP_T, 3, 5, 7) == CUBLAS_STATUS_SUCCESS);
  CHECK(call(CUBLAS_OP_T, CUBLAS_OP_T, 2, 5, 7) == CUBLAS_STATUS_INVALID_VALUE);
  CHECK(call(CUBLAS_OP_T, CUBLAS_OP_T, 3, 4, 7) == CUBLAS_STATUS_INVALID_VALUE);
}

TEST_CASE("cuda gemm: negative sizes, missing scalars and mismatched types are rejected") {
  if (!have_cuda_device()) return;
  const CublasHandle handle;
  const DeviceArray a(kFloat32, std::vector<double>(64, 1.0)), c(kFloat32, std::vector<double>(64, 0.0));
  const float one = 1.0f, zero = 0.0f;
  auto call = [&](int m, const void* alpha, cudaDataType c_type, cublasComputeType_t compute) {
    return cublasGemmEx(handle.get(), CUBLAS_OP_N, CUBLAS_OP_N, m, 4, 4, alpha, a.data(),
                        CUDA_R_32F, 4, a.data(), CUDA_R_32F, 4, &zero, c.data(), c_type, 4,
                        compute, CUBLAS_GEMM_DEFAULT);
  };
  CHECK(call(-1, &one, CUDA_R_32F, CUBLAS_COMPUTE_32F) == CUBLAS_STATUS_INVALID_VALUE);
  CHECK(call(4, nullptr, CUDA_R_32F, CUBLAS_COMPUTE_32F) == CUBLAS_STATUS_INVALID_VALUE);
  // float32 inputs with a float16 result, or a float64 compute type: no such cuBLAS product.
  CHECK(call(4, &one, CUDA_R_16F, CUBLAS_COMPUTE_32F) == CUBLAS_STATUS_NOT_SUPPORTED);
  CHECK(call(4, &one, CUDA_R_32F, CUBLAS_COMPUTE_64F) == CUBLAS_STATUS_NOT_SUPPORTED);
  CHECK(call(4, &one, CUDA_R_32F, CUBLAS_COMPUTE_32F) == CUBLAS_STATUS_SUCCESS);
}

TEST_CASE("cuda gemm: a failed call becomes an Error naming the status and the product") {
  if (!have_cuda_device()) return;
  // Row-major A [5, 7] read with lda 6: the call site passes the mistake on and cuBLAS refuses.
  const std::vector<int64_t> zero = {0};
  const GemmBatch g{5, 3, 7, false, false, 6, 3, 3, zero, zero, zero};
  const DeviceArray a(kFloat32, std::vector<double>(64, 1.0)), b(kFloat32, std::vector<double>(64, 1.0)),
      c(kFloat32, std::vector<double>(64, 0.0));
  const CublasHandle handle;
  try {
    kernels::cuda::gemm(handle.get(), cudaStream_t{}, kFloat32, a.data(), b.data(), c.data(), g);
    FAIL("a leading dimension below k was accepted");
  } catch (const Error& error) {
    const std::string message = error.what();
    CHECK(message.find("CUBLAS_STATUS_INVALID_VALUE") != std::string::npos);
    CHECK(message.find("cublasGemmEx") != std::string::npos);
    CHECK(message.find("m=5 n=3 k=7") != std::string::npos);
    CHECK(message.find("lda=6") != std::string::npos);
    CHECK(message.find("gemm.cpp:") != std::string::npos);
  }
}

#if defined(BYTEGRAD_CUDA_EMULATION)
// A GPU faults on these later, asynchronously, and far from the call; the stand-in refuses them
// at the call, naming the matrix.
TEST_CASE("cuda gemm: the stand-in refuses matrices outside device memory") {
  const std::vector<int64_t> zero = {0}, past_the_end = {60};
  const DeviceArray a(kFloat32, std::vector<double>(64, 1.0)), b(kFloat32, std::vector<double>(64, 1.0)),
      c(kFloat32, std::vector<double>(64, 0.0));
  const CublasHandle handle;
  auto message_of = [&](const void* a_data, const GemmBatch& g) {
    try {
      kernels::cuda::gemm(handle.get(), cudaStream_t{}, kFloat32, a_data, b.data(), c.data(), g);
    } catch (const Error& error) {
      return std::string(error.what());
    }
    return std::string("no error");
  };
  SUBCASE("an entry of C that runs past its allocation") {
    const GemmBatch g{3, 2, 2, false, false, 2, 2, 2, zero, zero, past_the_end};
    const std::string message = message_of(a.data(), g);
    CHECK(message.find("CUBLAS_STATUS_EXECUTION_FAILED") != std::string::npos);
    CHECK(message.find("matrix C of batch entry 0") != std::string::npos);
    CHECK(message.find("does not lie inside one device allocation") != std::string::npos);
  }
  SUBCASE("host memory passed as A") {
    const std::vector<float> host(64, 1.0f);
    const GemmBatch g{3, 2, 2, false, false, 2, 2, 2, zero, zero, zero};
    const std::string message = message_of(host.data(), g);
    // cuBLAS's B is our A: the row-major product is computed as its column-major transpose.
    CHECK(message.find("matrix B of batch entry 0") != std::string::npos);
  }
}
#endif

}  // namespace
}  // namespace bytegrad::testing
