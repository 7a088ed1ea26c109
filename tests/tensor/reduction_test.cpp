// Reductions and row-wise ops on every test device: sum/mean over any dims, max/min with
// indices, stable logsumexp, variance, softmax, cumsum, sort and topk.
#include <cmath>
#include <limits>

#include "tests/devices.h"
#include "tests/test_util.h"

using namespace bytegrad;
using bytegrad::testing::check_values;
using bytegrad::testing::error_of;
using bytegrad::testing::for_each_device;

namespace {
Tensor grid(const Shape& shape, Device device) {
  return ops::reshape(to(arange(numel_of(shape), {kInt64, device}), kFloat32), shape);
}
Tensor floats(const std::vector<float>& values, const Shape& shape, Device device) {
  return from_vector(values, shape, {kFloat32, device});
}
}  // namespace

TEST_CASE("sum and mean reduce any set of dims, with or without keepdim") {
  for_each_device([](Device device) {
    const Tensor x = grid({2, 3, 4}, device);
    CHECK(sum(x).item<float>() == 276.0f);
    const Tensor s = sum(x, {0, 2});
    CHECK(s.shape() == Shape{3});
    check_values(s, {0 + 1 + 2 + 3 + 12 + 13 + 14 + 15, 4 + 5 + 6 + 7 + 16 + 17 + 18 + 19,
                     8 + 9 + 10 + 11 + 20 + 21 + 22 + 23});
    CHECK(sum(x, {-1}, true).shape() == Shape{2, 3, 1});
    check_values(mean(x, {1}), {4, 5, 6, 7, 16, 17, 18, 19});
    CHECK(sum(arange(4, {kInt64, device})).dtype() == kInt64);
    CHECK(sum(gt(arange(4, {kInt64, device}), 1.0)).item<int64_t>() == 2);  // bools count as integers
    CHECK(error_of([&] { sum(x, {1, 1}); }) == "sum: dim 1 listed twice");
    CHECK(error_of([&] { sum(x, {3}); }).find("sum: dim 3 is out of range") == 0);
  });
}

TEST_CASE("max and min return values with the index of the first extreme") {
  for_each_device([](Device device) {
    const Tensor x = floats({3, 9, 9, 1, 4, 0}, {2, 3}, device);
    auto [values, indices] = max(x, 1);
    check_values(values, {9, 4});
    check_values(indices, {1, 1});
    auto [low, where_low] = min(x, 0, true);
    CHECK(low.shape() == Shape{1, 3});
    check_values(low, {1, 4, 0});
    check_values(where_low, {1, 1, 1});
    check_values(argmax(x, 0), {0, 0, 0});
    CHECK(argmax(x).item<int64_t>() == 1);
    CHECK(max(x).item<float>() == 9.0f);
    const Tensor with_nan = floats({1, NAN, 3}, {3}, device);
    CHECK(std::isnan(max(with_nan).item<float>()));  // NaN propagates, as in PyTorch
  });
}

TEST_CASE("max, min, argmax and argmin over long rows pick the first extreme, and the first NaN") {
  // Rows long enough for the vectorised path (lanes of 16 plus a tail), with many ties, signed
  // zeros and NaNs, against the sequential rule: the first index holding the extreme, a NaN
  // beating every number.
  const auto first_extreme = [](const std::vector<float>& row, bool largest) {
    int64_t best = 0;
    for (int64_t i = 0; i < int64_t(row.size()); ++i) {
      if (row[size_t(i)] != row[size_t(i)]) return i;
      if (row[size_t(best)] == row[size_t(best)] &&
          (largest ? row[size_t(i)] > row[size_t(best)] : row[size_t(i)] < row[size_t(best)]))
        best = i;
    }
    return best;
  };
  uint64_t state = 12345;
  const auto next = [&] { return (state = state * 6364136223846793005ull + 1442695040888963407ull) >> 33; };
  for_each_device([&](Device device) {
    for (const int64_t length : {1, 15, 31, 32, 33, 47, 100, 257, 32000}) {
      for (int trial = 0; trial < 6; ++trial) {
        std::vector<float> row(static_cast<size_t>(length), 0.0f);
        for (float& v : row) v = float(int64_t(next() % 9) - 4);  // few values: many ties
        if (trial % 2 == 1) row[next() % size_t(length)] = -0.0f;
        if (trial >= 4) row[next() % size_t(length)] = NAN;
        if (trial == 5) row[next() % size_t(length)] = NAN;
        const Tensor x = floats(row, {1, length}, device);
        INFO("length ", length, " trial ", trial, " on ", device);
        CHECK(argmax(x, 1).item<int64_t>() == first_extreme(row, true));
        CHECK(argmin(x, 1).item<int64_t>() == first_extreme(row, false));
        const auto [largest, where] = max(x, 1);
        CHECK(where.item<int64_t>() == first_extreme(row, true));
        const float expected = row[size_t(first_extreme(row, true))];
        CHECK((std::isnan(expected) ? std::isnan(largest.item<float>()) : largest.item<float>() == expected));
        CHECK(to(argmax(to(x, kFloat64), 1), kCPU).item<int64_t>() == first_extreme(row, true));
      }
    }
  });
}

TEST_CASE("logsumexp is stable for large and fully masked inputs") {
  for_each_device([](Device device) {
    const Tensor big = from_vector(std::vector<double>{1000, 1000}, {1, 2}, {kFloat64, device});
    CHECK(logsumexp(big, {1}).item<double>() == doctest::Approx(1000 + std::log(2.0)));
    const Tensor masked = full({1, 3}, -std::numeric_limits<double>::infinity(), {kFloat64, device});
    CHECK(logsumexp(masked, {1}).item<double>() == -std::numeric_limits<double>::infinity());
  });
}

TEST_CASE("var applies Bessel's correction unless told otherwise") {
  for_each_device([](Device device) {
    const Tensor x = from_vector(std::vector<double>{1, 2, 3, 4}, {4}, {kFloat64, device});
    CHECK(var(x).item<double>() == doctest::Approx(5.0 / 3));
    CHECK(var(x, {0}, 0).item<double>() == doctest::Approx(1.25));
  });
}

TEST_CASE("softmax rows sum to one and survive huge logits") {
  for_each_device([](Device device) {
    const Tensor x = floats({1000, 1001, 1002, -5, 0, 5}, {2, 3}, device);
    const Tensor p = softmax(x, 1);
    check_values(sum(p, {1}), {1, 1}, 1e-6);
    const double e = std::exp(1.0);
    check_values(narrow(p, 0, 0, 1), {1 / (1 + e + e * e), e / (1 + e + e * e), e * e / (1 + e + e * e)}, 1e-6);
    check_values(exp(log_softmax(x, 1)), p.to_vector<double>(), 1e-6);
    // Along dim 0 (not the innermost) the result is the same as softmax of the transpose.
    testing::check_close(softmax(x, 0), transpose(softmax(transpose(x, 0, 1), 1), 0, 1));
  });
}

TEST_CASE("cumsum, sort and topk work along any dimension") {
  for_each_device([](Device device) {
    check_values(cumsum(floats({1, 2, 3, 4}, {2, 2}, device), 0), {1, 2, 4, 6});
    const Tensor x = floats({3, 1, 2, 1}, {4}, device);
    auto [sorted, order] = sort(x);
    check_values(sorted, {1, 1, 2, 3});
    check_values(order, {1, 3, 2, 0});  // stable: equal values keep their order
    auto [descending, _] = sort(x, 0, true);
    check_values(descending, {3, 2, 1, 1});
    auto [top, where_top] = topk(floats({5, 9, 1, 7, 3, 8}, {2, 3}, device), 2, 1);
    check_values(top, {9, 5, 8, 7});
    check_values(where_top, {1, 0, 2, 0});
    CHECK(error_of([&] { topk(x, 5); }).find("topk: k = 5 is out of range") == 0);
  });
}
