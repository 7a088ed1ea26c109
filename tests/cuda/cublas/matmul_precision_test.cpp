// kernels::float32_matmul_precision() as the cuBLAS call sites of kernels/cuda/gemm.h honour it:
// "highest" multiplies float32 inputs as they are, "high" rounds them to TF32 (10 mantissa bits),
// "medium" to bfloat16 (7 mantissa bits), each accumulating in float32.
//
// On a GPU, cuBLAS may or may not choose a tensor-core kernel for a small product, so there the
// reduced settings are only bounded by their rounding; the stand-in of the emulated build always
// rounds the inputs, as tensor cores do, and must give the rounded product itself.
#include <cublas_v2.h>
#include <cuda_runtime_api.h>
#include <doctest/doctest.h>

#include <algorithm>
#include <cmath>
#include <random>
#include <vector>

#include "base/half.h"
#include "base/error.h"
#include "kernels/backend.h"
#include "kernels/cuda/gemm.h"
#include "kernels/matmul_precision.h"
#include "tests/cuda/device_array.h"

namespace bytegrad::testing {
namespace {

using kernels::GemmBatch;
using kernels::MatmulPrecision;

// Restores the process-wide setting when a case ends, also when a check throws.
class PrecisionScope {
 public:
  explicit PrecisionScope(MatmulPrecision precision) : saved_(kernels::float32_matmul_precision()) {
    kernels::set_float32_matmul_precision(precision);
  }
  PrecisionScope(const PrecisionScope&) = delete;
  PrecisionScope& operator=(const PrecisionScope&) = delete;
  ~PrecisionScope() { kernels::set_float32_matmul_precision(saved_); }

 private:
  MatmulPrecision saved_;
};

// Row-major C [m, n] = A [m, k] B [k, n] in float32 through kernels::cuda::gemm.
std::vector<double> device_product(const std::vector<double>& a, const std::vector<double>& b,
                                   int64_t m, int64_t n, int64_t k) {
  const std::vector<int64_t> zero = {0};
  const GemmBatch g{m, n, k, false, false, k, n, n, zero, zero, zero};
  const DeviceArray da(kFloat32, a), db(kFloat32, b);
  const DeviceArray dc(kFloat32, std::vector<double>(size_t(m * n), 0.0));
  cublasHandle_t handle = nullptr;
  REQUIRE(cublasCreate(&handle) == CUBLAS_STATUS_SUCCESS);
  kernels::cuda::gemm(handle, cudaStream_t{}, kFloat32, da.data(), db.data(), dc.data(), g);
  cublasDestroy(handle);
  return dc.download();
}

// The same product in double, after `round` has been applied to every input.
template <typename Round>
std::vector<double> reference_product(const std::vector<double>& a, const std::vector<double>& b,
                                      int64_t m, int64_t n, int64_t k, Round round) {
  std::vector<double> c(size_t(m * n), 0.0);
  for (int64_t i = 0; i < m; ++i)
    for (int64_t j = 0; j < n; ++j)
      for (int64_t p = 0; p < k; ++p)
        c[size_t(i * n + j)] += round(a[size_t(i * k + p)]) * round(b[size_t(p * n + j)]);
  return c;
}

double to_bfloat16(double value) { return double(float(BFloat16(float(value)))); }

TEST_CASE("matmul precision: names parse as PyTorch spells them, and allow_tf32 maps onto them") {
  CHECK(kernels::parse_matmul_precision("highest") == MatmulPrecision::Highest);
  CHECK(kernels::parse_matmul_precision("high") == MatmulPrecision::High);
  CHECK(kernels::parse_matmul_precision("medium") == MatmulPrecision::Medium);
  for (const MatmulPrecision p : {MatmulPrecision::Highest, MatmulPrecision::High, MatmulPrecision::Medium})
    CHECK(kernels::parse_matmul_precision(kernels::to_string(p)) == p);
  CHECK_THROWS_WITH_AS(kernels::parse_matmul_precision("bf16"),
                       doctest::Contains("'bf16' is unknown; expected highest"), Error);

  CHECK(kernels::float32_matmul_precision() == MatmulPrecision::Highest);  // the default
  const PrecisionScope scope(MatmulPrecision::Highest);
  kernels::set_allow_tf32(true);
  CHECK(kernels::float32_matmul_precision() == MatmulPrecision::High);
  kernels::set_float32_matmul_precision(MatmulPrecision::Medium);
  CHECK(kernels::allow_tf32());  // reduced precision is allowed, as PyTorch reports it
  kernels::set_allow_tf32(false);
  CHECK(kernels::float32_matmul_precision() == MatmulPrecision::Highest);
  CHECK_FALSE(kernels::allow_tf32());
}

TEST_CASE("matmul precision: 1 + 2^-9 survives highest and high, and medium rounds it to 1") {
  if (!have_cuda_device()) return;
  // 2^-9 needs 9 mantissa bits: float32 (23) and TF32 (10) keep it, bfloat16 (7) rounds it away.
  const int64_t m = 3, n = 5, k = 7;
  const double x = 1.0 + std::ldexp(1.0, -9);
  const std::vector<double> a(size_t(m * k), x), b(size_t(k * n), 1.0);
  const double exact = double(k) * x;  // representable in float32: no rounding of the sum
  for (const MatmulPrecision p : {MatmulPrecision::Highest, MatmulPrecision::High}) {
    const PrecisionScope scope(p);
    for (const double value : device_product(a, b, m, n, k)) CHECK(value == exact);
  }
  const PrecisionScope scope(MatmulPrecision::Medium);
  for (const double value : device_product(a, b, m, n, k)) {
    CHECK(std::abs(value - exact) <= double(k) * std::ldexp(1.0, -8));
#if defined(BYTEGRAD_CUDA_EMULATION)
    CHECK(value == double(k));  // every input rounded to bfloat16's 1, then summed in float32
#endif
  }
}

TEST_CASE("matmul precision: medium multiplies the bfloat16 roundings of random inputs") {
  if (!have_cuda_device()) return;
  const int64_t m = 13, n = 11, k = 37;  // odd and non-square, so that no swap cancels out
  std::mt19937 engine(7);
  std::uniform_real_distribution<double> uniform(-1.0, 1.0);
  auto random = [&](int64_t count) {
    std::vector<double> values(static_cast<size_t>(count));
    for (double& v : values) v = double(float(uniform(engine)));  // float32 values
    return values;
  };
  const std::vector<double> a = random(m * k), b = random(k * n);
  const std::vector<double> exact = reference_product(a, b, m, n, k, [](double v) { return v; });
  [[maybe_unused]] const std::vector<double> rounded = reference_product(a, b, m, n, k, to_bfloat16);
  // The sums of |products|, which bound the rounding errors: float32 accumulation of k products
  // errs by at most about k float32 unit roundoffs (2^-24) of it, in any summation order; twice
  // that leaves room for cuBLAS's split sums. A bfloat16 input (8 significant bits) is within 2^-8
  // of its float32 value (relative), so a product of two within about 2^-7.
  const std::vector<double> magnitude =
      reference_product(a, b, m, n, k, [](double v) { return std::abs(v); });
  auto float32_error = [&](size_t i) { return 2.0 * double(k) * std::ldexp(magnitude[i], -24); };
  auto bfloat16_error = [&](size_t i) { return std::ldexp(magnitude[i], -7) * 1.01 + float32_error(i); };

  std::vector<double> highest, medium;
  {
    const PrecisionScope scope(MatmulPrecision::Highest);
    highest = device_product(a, b, m, n, k);
  }
  {
    const PrecisionScope scope(MatmulPrecision::Medium);
    medium = device_product(a, b, m, n, k);
  }
  double largest_change = 0.0, largest_float32_error = 0.0;
  for (size_t i = 0; i < exact.size(); ++i) {
    CHECK(std::abs(highest[i] - exact[i]) <= float32_error(i));
    CHECK(std::abs(medium[i] - exact[i]) <= bfloat16_error(i));
#if defined(BYTEGRAD_CUDA_EMULATION)
    CHECK(std::abs(medium[i] - rounded[i]) <= float32_error(i));
#endif
    largest_change = std::max(largest_change, std::abs(medium[i] - highest[i]));
    largest_float32_error = std::max(largest_float32_error, float32_error(i));
  }
#if defined(BYTEGRAD_CUDA_EMULATION)
  // The roundings must show, far beyond float32's: 143 sums of 37 products cannot all lose them.
  CHECK(largest_change > 10 * largest_float32_error);
#endif
}

}  // namespace
}  // namespace bytegrad::testing
