// cross_entropy against a direct computation of -log softmax(logits)[target].
#include <doctest/doctest.h>

#include <cmath>

#include "bytegrad.h"
#include "nn/loss.h"
#include "tests/test_util.h"

namespace bytegrad::nn {
namespace {

const std::vector<double> kLogits = {0.5, -1.0, 2.0, 0.1,   //
                                     1.5, 0.3, -0.7, 0.0,   //
                                     -2.0, 1.0, 0.25, 3.0};
const std::vector<int64_t> kTargets = {2, -100, 3};

// -log softmax(row)[target], computed directly.
double nll(size_t row, int64_t target) {
  double total = 0;
  for (size_t j = 0; j < 4; ++j) total += std::exp(kLogits[row * 4 + j]);
  return std::log(total) - kLogits[row * 4 + size_t(target)];
}

TEST_CASE("cross_entropy averages over the targets that are not ignore_index") {
  const Tensor logits = from_vector(kLogits, {3, 4});
  const Tensor loss = cross_entropy(logits, from_vector(kTargets));
  CHECK(loss.item<double>() == doctest::Approx((nll(0, 2) + nll(2, 3)) / 2).epsilon(1e-12));
}

TEST_CASE("cross_entropy accepts [B, T, V] logits with [B, T] targets") {
  const Tensor logits = from_vector(kLogits, {1, 3, 4});
  const Tensor loss = cross_entropy(logits, from_vector(kTargets, {1, 3}));
  CHECK(loss.item<double>() == doctest::Approx((nll(0, 2) + nll(2, 3)) / 2).epsilon(1e-12));
}

TEST_CASE("cross_entropy sends no gradient to ignored tokens") {
  Tensor logits = from_vector(kLogits, {3, 4});
  logits.set_requires_grad();
  backward(cross_entropy(logits, from_vector(kTargets)));
  testing::check_values(select(logits.grad(), 0, 1), {0, 0, 0, 0});
  // Row 0: (softmax - one_hot(2)) / 2 kept tokens.
  const std::vector<double> row0 = select(logits.grad(), 0, 0).to_vector<double>();
  double total = 0;
  for (size_t j = 0; j < 4; ++j) total += std::exp(kLogits[j]);
  for (size_t j = 0; j < 4; ++j)
    CHECK(row0[j] == doctest::Approx((std::exp(kLogits[j]) / total - (j == 2)) / 2).epsilon(1e-10));
}

TEST_CASE("weighted cross_entropy averages over the unmasked tokens") {
  const Tensor logits = from_vector(kLogits, {3, 4});
  const Tensor targets = from_vector(std::vector<int64_t>{2, 1, 3});
  const Tensor mask = from_vector(std::vector<double>{1, 0, 1});
  const Tensor loss = cross_entropy(logits, targets, mask);
  CHECK(loss.item<double>() == doctest::Approx((nll(0, 2) + nll(2, 3)) / 2).epsilon(1e-12));
}

TEST_CASE("weighted cross_entropy with fractional weights is the weighted mean") {
  const Tensor logits = from_vector(kLogits, {3, 4});
  const Tensor targets = from_vector(std::vector<int64_t>{2, 1, 3});
  const Tensor weight = from_vector(std::vector<double>{0.5, 2.0, 1.0});
  const double expected = (0.5 * nll(0, 2) + 2.0 * nll(1, 1) + nll(2, 3)) / 3.5;
  CHECK(cross_entropy(logits, targets, weight).item<double>() ==
        doctest::Approx(expected).epsilon(1e-12));
}

TEST_CASE("cross_entropy names the shapes it cannot pair") {
  const std::string message = testing::error_of([] {
    cross_entropy(zeros({3, 4}), from_vector(std::vector<int64_t>{0, 1}));
  });
  CHECK(message.find("logits [3, 4] and targets [2]") != std::string::npos);
}

}  // namespace
}  // namespace bytegrad::nn
