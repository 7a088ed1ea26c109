// The products of one-token decoding are matrix-vector products (one row or one column of
// output), which the CPU backend sends to its own bandwidth-bound kernels (kernels/cpu/gemv.h)
// instead of BLAS GEMM. Every layout matmul can hand them (transposed, strided, batched; float32
// and float64) must give the product a plain triple loop gives.
#include <doctest/doctest.h>

#include "bytegrad.h"
#include "tests/test_util.h"

namespace bytegrad {
namespace {

// The product of a [m, k] and b [k, n] (any layouts) by definition, in float64.
Tensor reference_product(const Tensor& a, const Tensor& b) {
  const int64_t m = a.size(0), k = a.size(1), n = b.size(1);
  const std::vector<double> x = ops::contiguous(a).to_vector<double>();
  const std::vector<double> y = ops::contiguous(b).to_vector<double>();
  std::vector<double> out(size_t(m * n), 0.0);
  for (int64_t i = 0; i < m; ++i)
    for (int64_t j = 0; j < n; ++j)
      for (int64_t p = 0; p < k; ++p) out[size_t(i * n + j)] += x[size_t(i * k + p)] * y[size_t(p * n + j)];
  return from_vector(out, {m, n});
}

// `rows` x `cols`, stored transposed when asked (so matmul sees a transposed layout).
Tensor matrix(int64_t rows, int64_t cols, bool transposed, DType dtype, Generator& g) {
  if (transposed) return ops::transpose(randn({cols, rows}, {dtype, kCPU}, &g), 0, 1);
  return randn({rows, cols}, {dtype, kCPU}, &g);
}

TEST_CASE("matrix-vector products match the definition in every layout") {
  Generator g(3);
  // Large enough (k * n above 2^15) that the kernels split the work over threads.
  for (DType dtype : {DType::Float32, DType::Float64})
    for (bool transpose_a : {false, true})
      for (bool transpose_b : {false, true})
        for (auto [m, k, n] : {std::tuple<int64_t, int64_t, int64_t>{1, 300, 257},
                               {261, 300, 1}, {1, 7, 5}, {5, 7, 1}, {1, 1, 9}}) {
          CAPTURE(dtype);
          CAPTURE(transpose_a);
          CAPTURE(transpose_b);
          CAPTURE(m);
          CAPTURE(n);
          const Tensor a = matrix(m, k, transpose_a, dtype, g), b = matrix(k, n, transpose_b, dtype, g);
          const double tolerance = dtype == DType::Float32 ? 1e-4 : 1e-10;
          testing::check_close(ops::to(ops::matmul(a, b), DType::Float64), reference_product(a, b),
                               tolerance, tolerance);
        }
}

TEST_CASE("batched matrix-vector products over strided views match the definition") {
  Generator g(4);
  // Queries [4, 1, 16] against keys read through a narrowed buffer [4, 10 of 32, 16]: the
  // attention scores of one decoded token over a KV cache's filled prefix.
  const Tensor queries = randn({4, 1, 16}, {}, &g);
  const Tensor keys = ops::narrow(randn({4, 32, 16}, {}, &g), 1, 0, 10);
  const Tensor scores = ops::matmul(queries, ops::transpose(keys, 1, 2));  // [4, 1, 10]
  for (int64_t e = 0; e < 4; ++e)
    testing::check_close(ops::select(scores, 0, e),
                         ops::to(reference_product(ops::select(queries, 0, e),
                                                   ops::transpose(ops::select(keys, 0, e), 0, 1)),
                                 DType::Float32),
                         1e-5, 1e-5);
}

}  // namespace
}  // namespace bytegrad
