// matmul on every test device against its definition: odd sizes, transposed and sliced operands,
// batch broadcasting, vectors, half precision and integers.
#include "tests/devices.h"
#include "tests/test_util.h"

using namespace bytegrad;
using bytegrad::testing::for_each_device;

namespace {

// The product by definition, one dot product per element, for [.., m, k] @ [.., k, n] with
// equal batch shapes; computed on the host.
Tensor reference_matmul(const Tensor& a, const Tensor& b) {
  const Tensor x = ops::contiguous(to(to(a, kCPU), kFloat64));
  const Tensor y = ops::contiguous(to(to(b, kCPU), kFloat64));
  const int64_t m = x.size(-2), k = x.size(-1), n = y.size(-1);
  const int64_t batch = x.numel() / (m * k);
  Shape shape = x.shape();
  shape.back() = n;
  Tensor out = zeros(shape, {kFloat64});
  const double *xa = x.data<double>(), *yb = y.data<double>();
  double* c = out.data<double>();
  for (int64_t e = 0; e < batch; ++e)
    for (int64_t i = 0; i < m; ++i)
      for (int64_t j = 0; j < n; ++j)
        for (int64_t p = 0; p < k; ++p)
          c[(e * m + i) * n + j] += xa[(e * m + i) * k + p] * yb[(e * k + p) * n + j];
  return out;
}

}  // namespace

TEST_CASE("matmul of odd-sized matrices matches the definition") {
  for_each_device([](Device device) {
    Generator g(11);
    for (auto [m, k, n] : {std::tuple{1, 1, 1}, {3, 5, 7}, {17, 33, 9}, {64, 1, 65}}) {
      const Tensor a = randn({m, k}, {kFloat32, device}, &g), b = randn({k, n}, {kFloat32, device}, &g);
      testing::check_close(to(matmul(a, b), kFloat64), reference_matmul(a, b), 1e-4, 1e-4);
    }
  });
}

TEST_CASE("matmul reads transposed operands without changing the result") {
  for_each_device([](Device device) {
    Generator g(12);
    const Tensor a = randn({6, 4}, {kFloat64, device}, &g), b = randn({5, 6}, {kFloat64, device}, &g);
    const Tensor at = transpose(a, 0, 1), bt = transpose(b, 0, 1);  // [4,6], [6,5]
    testing::check_close(matmul(at, bt), reference_matmul(at, bt), 1e-12);
    // A sliced (strided) operand that BLAS cannot read directly is copied first.
    const Tensor every_other = slice(randn({8, 6}, {kFloat64, device}, &g), 1, 0, 6, 2);  // [8, 3]
    const Tensor c = randn({3, 2}, {kFloat64, device}, &g);
    testing::check_close(matmul(every_other, c), reference_matmul(every_other, c), 1e-12);
  });
}

TEST_CASE("matmul broadcasts batch dimensions and handles vectors like torch.matmul") {
  for_each_device([](Device device) {
    Generator g(13);
    const TensorOptions float64_options{kFloat64, device};
    const Tensor a = randn({2, 1, 3, 4}, float64_options, &g), b = randn({5, 4, 2}, float64_options, &g);
    const Tensor c = matmul(a, b);
    CHECK(c.shape() == Shape{2, 5, 3, 2});
    testing::check_close(c, reference_matmul(ops::contiguous(expand(a, {2, 5, 3, 4})),
                                             ops::contiguous(expand(b, {2, 5, 4, 2}))), 1e-12);
    const Tensor v = randn({4}, float64_options, &g), m = randn({4, 3}, float64_options, &g);
    CHECK(matmul(v, m).shape() == Shape{3});
    CHECK(matmul(m, randn({3}, float64_options, &g)).shape() == Shape{4});
    CHECK(matmul(v, v).shape() == Shape{});
    CHECK(matmul(v, v).item<double>() == doctest::Approx(sum(mul(v, v)).item<double>()));
  });
}

TEST_CASE("matmul in half precision and integers") {
  for_each_device([](Device device) {
    Generator g(14);
    const Tensor a = randn({5, 7}, {kFloat32, device}, &g), b = randn({7, 3}, {kFloat32, device}, &g);
    const Tensor reference = reference_matmul(a, b);
    testing::check_close(to(matmul(to(a, kBFloat16), to(b, kBFloat16)), kFloat64), reference, 0.1, 0.05);
    testing::check_close(to(matmul(to(a, kFloat16), to(b, kFloat16)), kFloat64), reference, 0.02, 0.01);
    const Tensor i = ops::reshape(arange(6, {kInt64, device}), {2, 3});
    const Tensor j = ops::reshape(arange(6, {kInt64, device}), {3, 2});
    testing::check_values(matmul(i, j), {10, 13, 28, 40});
  });
}

TEST_CASE("matmul rejects shapes that do not align and mixed dtypes") {
  CHECK(testing::error_of([] { matmul(zeros({2, 3}), zeros({4, 5})); }) ==
        "matmul: shapes [2, 3] and [4, 5] do not align (3 != 4)");
  CHECK(testing::error_of([] { matmul(zeros({2, 3}), zeros({3, 5}, {kFloat64})); })
            .find("matmul: dtypes differ (float32 [2, 3] and float64 [3, 5])") == 0);
}
