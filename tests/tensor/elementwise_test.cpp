// Elementwise ops on every test device: broadcasting, dtype promotion, unary math against the
// C library, comparisons and selection, strided inputs, and multi-threaded sizes.
#include <cmath>

#include "tests/devices.h"
#include "tests/test_util.h"

using namespace bytegrad;
using bytegrad::testing::check_values;
using bytegrad::testing::error_of;
using bytegrad::testing::for_each_device;

namespace {
Tensor vec(std::vector<double> v, Shape shape, Device device) {
  if (shape.empty()) shape = {int64_t(v.size())};
  return from_vector(v, shape, {kFloat32, device});
}
}  // namespace

TEST_CASE("binary ops broadcast like NumPy") {
  for_each_device([](Device device) {
    const Tensor column = vec({1, 2}, {2, 1}, device), row = vec({10, 20, 30}, {1, 3}, device);
    const Tensor s = add(column, row);
    CHECK(s.shape() == Shape{2, 3});
    check_values(s, {11, 21, 31, 12, 22, 32});
    check_values(sub(row, column), {9, 19, 29, 8, 18, 28});
    check_values(mul(vec({1, 2, 3}, {}, device), full({}, 2.0, {kFloat32, device})), {2, 4, 6});
    check_values(div(vec({1, 2, 3}, {}, device), vec({2}, {}, device)), {0.5, 1, 1.5});
    check_values(pow(vec({2, 3}, {}, device), vec({3, 2}, {}, device)), {8, 9});
    check_values(maximum(vec({1, 5}, {}, device), vec({3, 2}, {}, device)), {3, 5});
    check_values(minimum(vec({1, 5}, {}, device), vec({3, 2}, {}, device)), {1, 2});
  });
}

TEST_CASE("incompatible shapes are rejected with both shapes in the message") {
  const std::string message = error_of([] { add(zeros({2, 3}), zeros({4, 3})); });
  CHECK(message == "add: shapes [2, 3] and [4, 3] do not broadcast (dimension 0: 2 vs 4)");
}

TEST_CASE("mixed dtypes promote; integer division gives float32") {
  for_each_device([](Device device) {
    const TensorOptions int64_options{kInt64, device};
    const Tensor i = arange(4, int64_options), f = vec({0.5, 0.5, 0.5, 0.5}, {}, device);
    CHECK(add(i, f).dtype() == kFloat32);
    check_values(add(i, f), {0.5, 1.5, 2.5, 3.5});
    const Tensor q = div(arange(1, 4, 1, int64_options), arange(2, 5, 1, int64_options));
    CHECK(q.dtype() == kFloat32);
    check_values(q, {0.5, 2.0 / 3, 0.75});
    CHECK(add(arange(3, int64_options), 1.0).dtype() == kInt64);
    CHECK(mul(arange(3, int64_options), 0.5).dtype() == kFloat32);
  });
}

TEST_CASE("unary math matches the C library") {
  for_each_device([](Device device) {
    const std::vector<double> xs{-2.0, -0.5, 0.0, 0.7, 3.0};
    const Tensor x = from_vector(xs, {5}, {kFloat64, device});
    auto expect = [&](const Tensor& got, auto f) {
      std::vector<double> want;
      for (double v : xs) want.push_back(f(v));
      check_values(got, want, 1e-12);
    };
    expect(neg(x), [](double v) { return -v; });
    expect(exp(x), [](double v) { return std::exp(v); });
    expect(tanh(x), [](double v) { return std::tanh(v); });
    expect(sigmoid(x), [](double v) { return 1 / (1 + std::exp(-v)); });
    expect(silu(x), [](double v) { return v / (1 + std::exp(-v)); });
    expect(gelu(x), [](double v) { return 0.5 * v * (1 + std::erf(v / std::sqrt(2.0))); });
    expect(gelu(x, true), [](double v) {
      return 0.5 * v * (1 + std::tanh(std::sqrt(2 / M_PI) * (v + 0.044715 * v * v * v)));
    });
    expect(relu(x), [](double v) { return v > 0 ? v : 0; });
    expect(abs(x), [](double v) { return std::fabs(v); });
    expect(square(x), [](double v) { return v * v; });
    expect(clamp(x, -1, 1), [](double v) { return std::clamp(v, -1.0, 1.0); });
    const Tensor positive = add(abs(x), 0.5);
    check_values(log(positive), {std::log(2.5), std::log(1.0), std::log(0.5), std::log(1.2), std::log(3.5)}, 1e-12);
    check_values(sqrt(positive), {std::sqrt(2.5), 1.0, std::sqrt(0.5), std::sqrt(1.2), std::sqrt(3.5)}, 1e-12);
    check_values(rsqrt(positive), {1 / std::sqrt(2.5), 1.0, 1 / std::sqrt(0.5), 1 / std::sqrt(1.2), 1 / std::sqrt(3.5)}, 1e-12);
  });
}

TEST_CASE("comparisons give bool and where/masked_fill select by them") {
  for_each_device([](Device device) {
    const Tensor x = vec({1, 5, 3}, {}, device);
    const Tensor mask = gt(x, 2.0);
    CHECK(mask.dtype() == kBool);
    check_values(mask, {0, 1, 1});
    check_values(eq(x, vec({1, 0, 3}, {}, device)), {1, 0, 1});
    check_values(le(x, 3.0), {1, 0, 1});
    check_values(where(mask, x, full({}, -1.0, {kFloat32, device})), {-1, 5, 3});
    check_values(masked_fill(x, lt(x, 2.0), 100), {100, 5, 3});
    CHECK(error_of([&] { where(x, x, x); }).find("where: condition must be bool, got float32") == 0);
  });
}

TEST_CASE("elementwise ops follow strides of non-contiguous inputs") {
  for_each_device([](Device device) {
    const Tensor base = ops::reshape(to(arange(6, {kInt64, device}), kFloat32), {2, 3});
    const Tensor t = transpose(base, 0, 1);  // [[0, 3], [1, 4], [2, 5]]
    check_values(add(t, vec({100, 200}, {1, 2}, device)), {100, 203, 101, 204, 102, 205});
    check_values(exp(slice(arange(6, {kInt64, device}), 0, 0, 6, 2)), {1, std::exp(2.0), std::exp(4.0)}, 1e-4);
  });
}

TEST_CASE("large tensors split across threads give the same result as small ones") {
  for_each_device([](Device device) {
    const int64_t n = 1 << 20;
    Generator g(5);
    const Tensor x = randn({n}, {kFloat64, device}, &g);
    const Tensor doubled = add(x, x);
    const std::vector<double> in = x.to_vector<double>(), out = doubled.to_vector<double>();
    for (int64_t i = 0; i < n; i += 4099) CHECK(out[size_t(i)] == 2 * in[size_t(i)]);
  });
}
