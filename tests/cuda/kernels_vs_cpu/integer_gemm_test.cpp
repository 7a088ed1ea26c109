// The CUDA backend's integer products (our kernel, kernels/cuda/integer_gemm.h: cuBLAS has none)
// against the CPU backend's: odd, non-square sizes, every transpose, leading dimensions above the
// minimum.
#include <doctest/doctest.h>

#include "tests/cuda/kernels_vs_cpu/kernel_check.h"

namespace bytegrad::testing {
namespace {

TEST_CASE("cuda kernels: integer products match the CPU") {
  if (!have_cuda_device()) return;
  struct Size {
    int64_t m, n, k;
  };
  uint32_t seed = 1;
  for (const DType dtype : {kInt32, kInt64, kUInt8})
    for (const Size s : {Size{7, 5, 3}, Size{1, 13, 2}, Size{13, 1, 17}, Size{19, 23, 29}})
      for (const bool transpose_a : {false, true})
        for (const bool transpose_b : {false, true}) {
          INFO(dtype, " m=", s.m, " n=", s.n, " k=", s.k, transpose_a ? " A^T" : " A",
               transpose_b ? " B^T" : " B");
          const int64_t padding = 2;
          const int64_t a_rows = transpose_a ? s.k : s.m, a_cols = transpose_a ? s.m : s.k;
          const int64_t b_rows = transpose_b ? s.n : s.k, b_cols = transpose_b ? s.k : s.n;
          const int64_t lda = a_cols + padding, ldb = b_cols + padding, ldc = s.n + padding;
          // uint8 products wrap (as the CPU's narrowing does), but the inputs must fit.
          const double low = dtype == kUInt8 ? 0 : -100, high = dtype == kUInt8 ? 10 : 100;
          auto integers = [&](int64_t count) {
            std::vector<double> values = random_values(size_t(count), kFloat64, low, high, seed++);
            for (double& v : values) v = std::round(v);
            return values;
          };
          const std::vector<double> a = integers(a_rows * lda), b = integers(b_rows * ldb);
          const std::vector<double> c(size_t(s.m * ldc), -7.0);
          HostArray host_a(dtype, {a_rows * lda}, a), host_b(dtype, {b_rows * ldb}, b),
              host_c(dtype, {s.m * ldc}, c);
          const std::vector<int64_t> zero = {0};
          const kernels::GemmBatch batch{s.m, s.n, s.k, transpose_a, transpose_b, lda, ldb, ldc,
                                         zero, zero, zero};
          cpu_backend().gemm(dtype, host_a.view().data, host_b.view().data, host_c.view().data, batch);

          const DeviceTensor d_a(dtype, {a_rows * lda}, a), d_b(dtype, {b_rows * ldb}, b),
              d_c(dtype, {s.m * ldc}, c);
          cuda_backend().gemm(dtype, d_a.data(), d_b.data(), d_c.data(), batch);
          // Exact, and the padding of C untouched on both sides.
          check_close("integer gemm", d_c.values(), host_c.values(), Tolerance{0, 0});
        }
}

}  // namespace
}  // namespace bytegrad::testing
