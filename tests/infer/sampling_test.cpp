// The sampler: top-k and top-p keep exactly the expected tokens on hand-made distributions,
// draws follow the distribution they are drawn from, and a seed fixes the draws.
#include <doctest/doctest.h>

#include <cmath>
#include <limits>
#include <string>
#include <vector>

#include "bytegrad.h"
#include "infer/sampling.h"
#include "tests/test_util.h"

namespace bytegrad::infer {
namespace {

constexpr double kInf = std::numeric_limits<double>::infinity();

// Counts how often each token is drawn in `draws` rows of `logits` [1, V] repeated.
std::vector<int64_t> draw_counts(const Tensor& logits, int64_t draws, const SamplingOptions& options, uint64_t seed) {
  Generator generator(seed);
  const Tensor rows = contiguous(expand(logits, {draws, logits.size(1)}));
  std::vector<int64_t> counts(size_t(logits.size(1)), 0);
  for (int64_t token : next_tokens(rows, options, generator).to_vector<int64_t>()) ++counts[size_t(token)];
  return counts;
}

// Pearson's chi-square statistic of `counts` against `probs`.
double chi_square(const std::vector<int64_t>& counts, const std::vector<double>& probs) {
  double total = 0, statistic = 0;
  for (int64_t c : counts) total += double(c);
  for (size_t i = 0; i < counts.size(); ++i) {
    const double expected = total * probs[i];
    statistic += (double(counts[i]) - expected) * (double(counts[i]) - expected) / expected;
  }
  return statistic;
}

std::vector<double> softmax_of(const std::vector<double>& logits, double temperature) {
  std::vector<double> probs;
  double total = 0;
  for (double x : logits) total += std::exp(x / temperature);
  for (double x : logits) probs.push_back(std::exp(x / temperature) / total);
  return probs;
}

TEST_CASE("keep_top_k keeps the k largest logits of each row") {
  const Tensor logits = from_vector(std::vector<double>{1, 3, 2, 0.5,  //
                                                        -1, -2, 4, 0},
                                    {2, 4});
  CHECK(keep_top_k(logits, 2).to_vector<double>() == std::vector<double>{-kInf, 3, 2, -kInf, -kInf, -kInf, 4, 0});
  CHECK(keep_top_k(logits, 0).to_vector<double>() == logits.to_vector<double>());
  CHECK(keep_top_k(logits, 4).to_vector<double>() == logits.to_vector<double>());
}

TEST_CASE("keep_top_k keeps the tokens tied with the k-th") {
  const Tensor logits = from_vector(std::vector<double>{2, 0, 2, 1}, {1, 4});
  CHECK(keep_top_k(logits, 1).to_vector<double>() == std::vector<double>{2, -kInf, 2, -kInf});
}

TEST_CASE("top_p_nucleus keeps the smallest most-likely set whose mass reaches p") {
  const Tensor probs = from_vector(std::vector<double>{0.15, 0.5, 0.05, 0.3}, {1, 4});
  SUBCASE("p = 0.4: the top token alone reaches it") {
    const auto [kept, ids] = top_p_nucleus(probs, 0.4);
    testing::check_values(kept, {1, 0, 0, 0}, 1e-12);
    testing::check_values(ids, {1, 3, 0, 2});
  }
  SUBCASE("p = 0.7: the top two (0.8)") {
    testing::check_values(top_p_nucleus(probs, 0.7).first, {0.5 / 0.8, 0.3 / 0.8, 0, 0}, 1e-12);
  }
  SUBCASE("p = 0.9: the top three (0.95)") {
    testing::check_values(top_p_nucleus(probs, 0.9).first, {0.5 / 0.95, 0.3 / 0.95, 0.15 / 0.95, 0}, 1e-12);
  }
  SUBCASE("p = 1: everything") {
    testing::check_values(top_p_nucleus(probs, 1.0).first, {0.5, 0.3, 0.15, 0.05}, 1e-12);
  }
}

TEST_CASE("temperature 0 takes the most likely token of each row") {
  Generator generator(1);
  SamplingOptions options;
  options.temperature = 0;
  const Tensor logits = from_vector(std::vector<float>{0.1f, 2.0f, -1.0f, 5.0f, 0.0f, 1.0f}, {2, 3});
  CHECK(next_tokens(logits, options, generator).to_vector<int64_t>() == std::vector<int64_t>{1, 0});
  CHECK(generator.offset() == 0);  // greedy decoding draws no random numbers
}

TEST_CASE("draws follow softmax(logits / temperature)") {
  const std::vector<double> values = {1.0, 0.5, -0.5, 2.0, 0.0};
  const Tensor logits = from_vector(values, {1, 5});
  SamplingOptions options;
  options.temperature = 0.7;
  options.top_p = 1.0;
  const std::vector<int64_t> counts = draw_counts(logits, 20000, options, 42);
  // 4 degrees of freedom: P(chi2 > 18.5) = 0.001.
  CHECK(chi_square(counts, softmax_of(values, 0.7)) < 18.5);
}

TEST_CASE("top-k and top-p draws stay in their set, in proportion") {
  const std::vector<double> values = {1.0, 0.5, -0.5, 2.0, 0.0};
  const Tensor logits = from_vector(values, {1, 5});
  SamplingOptions options;
  options.temperature = 1.0;
  SUBCASE("top_k = 2: tokens 3 and 0") {
    options.top_p = 1.0;
    options.top_k = 2;
    const std::vector<int64_t> counts = draw_counts(logits, 10000, options, 5);
    CHECK(counts[1] + counts[2] + counts[4] == 0);
    const std::vector<double> pair = softmax_of({values[0], values[3]}, 1.0);
    CHECK(chi_square({counts[0], counts[3]}, pair) < 10.8);  // 1 dof, P = 0.001
  }
  SUBCASE("top_p = 0.6: tokens 3 and 0 (the mass before token 1 is 0.76)") {
    options.top_p = 0.6;
    const std::vector<double> probs = softmax_of(values, 1.0);
    REQUIRE(probs[3] < 0.6);
    REQUIRE(probs[3] + probs[0] > 0.6);
    const std::vector<int64_t> counts = draw_counts(logits, 10000, options, 6);
    CHECK(counts[1] + counts[2] + counts[4] == 0);
    const double kept = probs[0] + probs[3];
    CHECK(chi_square({counts[0], counts[3]}, {probs[0] / kept, probs[3] / kept}) < 10.8);
  }
}

TEST_CASE("sample_from never draws a token of zero probability") {
  Generator generator(9);
  const Tensor probs = contiguous(expand(from_vector(std::vector<double>{0, 0.5, 0, 0.5, 0}, {1, 5}), {4000, 5}));
  for (int64_t token : sample_from(probs, generator).to_vector<int64_t>()) CHECK((token == 1 || token == 3));
}

TEST_CASE("the same seed draws the same tokens") {
  const Tensor logits = contiguous(expand(from_vector(std::vector<double>{0, 0, 0, 0}, {1, 4}), {64, 4}));
  SamplingOptions options;
  options.temperature = 1.0;
  Generator a(3), b(3), c(4);
  const std::vector<int64_t> first = next_tokens(logits, options, a).to_vector<int64_t>();
  CHECK(first == next_tokens(logits, options, b).to_vector<int64_t>());
  CHECK(first != next_tokens(logits, options, c).to_vector<int64_t>());
}

TEST_CASE("sampling options are checked") {
  Generator generator(0);
  const Tensor logits = zeros({1, 3});
  SamplingOptions options;
  options.temperature = -1;
  CHECK(testing::error_of([&] { next_tokens(logits, options, generator); }).find("temperature") != std::string::npos);
  options = {};
  options.top_p = 1.5;
  CHECK(testing::error_of([&] { next_tokens(logits, options, generator); }).find("top_p") != std::string::npos);
  options = {};
  options.top_k = -2;
  CHECK(testing::error_of([&] { next_tokens(logits, options, generator); }).find("top_k") != std::string::npos);
  CHECK(testing::error_of([&] { next_tokens(zeros({3}), {}, generator); }).find("[B, V]") != std::string::npos);
}

}  // namespace
}  // namespace bytegrad::infer
