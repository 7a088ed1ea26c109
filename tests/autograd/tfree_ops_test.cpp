// T-Free's two sparse ops: the trigram embedding bag and the multi-label BCE loss. Each is checked
// by float64 gradcheck, by hand-computed cases (padding, repeats, duplicates), by its errors, and
// against PyTorch composed as the original T-Free code composes it
// (tests/reference/torch_tfree_ops.py).
#include <doctest/doctest.h>

#include <cmath>
#include <fstream>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "autograd/gradcheck.h"
#include "tests/io/torch_reference.h"
#include "tests/scratch_directory.h"
#include "tests/test_util.h"

using namespace bytegrad;

namespace {

Generator& rng() {
  static Generator generator(11);
  return generator;
}

const TensorOptions kDouble{kFloat64, kCPU};

Tensor int64s(const std::vector<int64_t>& values, const Shape& shape) { return from_vector(values, shape); }

// Four words of 2, 0 (padding), 3 and 1 trigrams, m = 3 rows each, with a repeated id inside a
// trigram (7, 7) and across trigrams (2).
const Tensor& bag_ids() {
  static const Tensor ids = int64s({0, 2, 5, /**/ 7, 7, 1, /**/ 2, 3, 4, /**/ 9, 0, 6, /**/ 8, 2, 1, /**/ 3, 3, 3},
                                   {6, 3});
  return ids;
}
const Tensor& bag_offsets() {
  static const Tensor offsets = int64s({0, 2, 2, 5, 6}, {5});
  return offsets;
}

nlohmann::json rows_json(const Tensor& x) {
  const std::vector<double> values = ops::to(x.detach(), kFloat64).to_vector<double>();
  nlohmann::json rows = nlohmann::json::array();
  for (int64_t r = 0; r < x.size(0); ++r)
    rows.push_back(std::vector<double>(values.begin() + r * x.size(1), values.begin() + (r + 1) * x.size(1)));
  return rows;
}

Tensor tensor_from_rows(const nlohmann::json& rows) {
  std::vector<double> values;
  for (const auto& row : rows)
    for (double v : row) values.push_back(v);
  return from_vector(values, {int64_t(rows.size()), int64_t(rows[0].size())}, kDouble);
}

// Sparse targets of a 3 x 6 batch: row 0 has a duplicated id, row 1 none, row 2 two ids.
const Tensor& target_ids() {
  static const Tensor ids = int64s({1, 4, 1, 0, 5}, {5});
  return ids;
}
const Tensor& target_offsets() {
  static const Tensor offsets = int64s({0, 3, 3, 5}, {4});
  return offsets;
}

}  // namespace

TEST_CASE("embedding_bag sums each trigram's rows over the word's trigrams, padding gives zeros") {
  const Tensor weight = randn({10, 4}, kDouble, &rng());
  const Tensor out = embedding_bag(weight, bag_ids(), bag_offsets());
  REQUIRE(out.shape() == Shape{4, 4});
  const Tensor expected_word0 = ops::reduce(ops::ReduceOp::Sum,
                                            ops::index_select(weight, 0, int64s({0, 2, 5, 7, 7, 1}, {6})), {0}, false);
  testing::check_close(select(out, 0, 0), expected_word0, 1e-12);
  testing::check_close(select(out, 0, 1), zeros({4}, kDouble), 0.0);
}

TEST_CASE("embedding_bag's mean and normalisation divide by m and by the trigram count") {
  const Tensor weight = randn({10, 4}, kDouble, &rng());
  const Tensor sum = embedding_bag(weight, bag_ids(), bag_offsets());
  const Tensor mean_normalized = embedding_bag(weight, bag_ids(), bag_offsets(), BagAggregation::Mean, true);
  testing::check_close(select(mean_normalized, 0, 2), select(sum, 0, 2) / 9.0, 1e-12);  // 3 trigrams x m = 3
  testing::check_close(select(mean_normalized, 0, 1), zeros({4}, kDouble), 0.0);
}

TEST_CASE("embedding_bag passes float64 gradcheck in every mode") {
  for (const auto aggregation : {BagAggregation::Sum, BagAggregation::Mean})
    for (const bool normalize : {false, true}) {
      const Tensor weight = randn({10, 3}, kDouble, &rng()).set_requires_grad();
      const auto result = gradcheck(
          [&](const std::vector<Tensor>& in) { return embedding_bag(in[0], bag_ids(), bag_offsets(), aggregation, normalize); },
          {weight});
      CHECK_MESSAGE(result.passed, result.message);
    }
}

TEST_CASE("embedding_bag adds its gradient into an existing .grad of the table") {
  const Tensor weight = randn({10, 3}, {kFloat32, kCPU}, &rng()).set_requires_grad();
  backward(sum(embedding_bag(weight, bag_ids(), bag_offsets())));
  const std::vector<float> once = weight.grad().to_vector<float>();
  backward(sum(embedding_bag(weight, bag_ids(), bag_offsets())));
  const std::vector<float> twice = weight.grad().to_vector<float>();
  for (size_t i = 0; i < once.size(); ++i) CHECK(twice[i] == doctest::Approx(2 * once[i]));
  // id 7 appears twice in one trigram of word 0: its row gets the upstream gradient (1) twice.
  CHECK(once[7 * 3] == doctest::Approx(2.0));
}

TEST_CASE("embedding_bag rejects bad ids and offsets, naming them") {
  const Tensor weight = randn({10, 3}, kDouble, &rng());
  CHECK_THROWS_WITH_AS(embedding_bag(weight, int64s({0, 10}, {1, 2}), int64s({0, 1}, {2})),
                       doctest::Contains("ids holds 10, outside [0, 10)"), Error);
  CHECK_THROWS_WITH_AS(embedding_bag(weight, bag_ids(), int64s({0, 3, 2, 6}, {4})),
                       doctest::Contains("offsets must not decrease"), Error);
  CHECK_THROWS_WITH_AS(embedding_bag(weight, bag_ids(), int64s({1, 6}, {2})),
                       doctest::Contains("offsets must start at 0"), Error);
  CHECK_THROWS_WITH_AS(embedding_bag(weight, bag_ids(), int64s({0, 5}, {2})),
                       doctest::Contains("must end at the item count 6"), Error);
  CHECK_THROWS_WITH_AS(embedding_bag(weight, int64s({0, 1}, {2}), int64s({0, 2}, {2})),
                       doctest::Contains("ids [2] (int64) must be int64 [items"), Error);
}

TEST_CASE("multilabel_bce_with_logits matches the dense formula, duplicates counting once") {
  const Tensor logits = randn({3, 6}, kDouble, &rng()) * 3.0;
  const Tensor weights = from_vector(std::vector<double>{1.0, 0.5, 0.0}, {3}, kDouble);
  const double pos_weight = 4.0, loss_scale = 10.0;
  const std::vector<double> z = logits.to_vector<double>(), w = weights.to_vector<double>();
  const std::vector<std::vector<int>> positive = {{1, 4}, {}, {0, 5}};
  double total = 0;
  for (int r = 0; r < 3; ++r)
    for (int v = 0; v < 6; ++v) {
      const bool y = std::find(positive[r].begin(), positive[r].end(), v) != positive[r].end();
      const double s = 1 / (1 + std::exp(-z[r * 6 + v]));
      total += w[r] * (y ? -pos_weight * std::log(s) : -std::log(1 - s));
    }
  const Tensor loss = multilabel_bce_with_logits(logits, target_ids(), target_offsets(), weights, pos_weight, loss_scale);
  CHECK(loss.dim() == 0);
  CHECK(loss.item<double>() == doctest::Approx(loss_scale * total / 18.0).epsilon(1e-12));
}

TEST_CASE("multilabel_bce_with_logits is finite for logits of magnitude 1000") {
  // A confidently wrong positive (-1000, weight 2) and negative (+1000): 2 * 1000 + 1000 over 2.
  const Tensor logits = from_vector(std::vector<double>{-1000, 1000}, {1, 2}, kDouble);
  const Tensor loss = multilabel_bce_with_logits(logits, int64s({0}, {1}), int64s({0, 1}, {2}), ones({1}, kDouble), 2.0);
  CHECK(loss.item<double>() == doctest::Approx(1500.0));
}

TEST_CASE("multilabel_bce_with_logits passes float64 gradcheck") {
  const Tensor logits = (randn({3, 6}, kDouble, &rng()) * 2.0).detach().set_requires_grad();
  const Tensor weights = from_vector(std::vector<double>{1.0, 0.5, 2.0}, {3}, kDouble);
  const auto result = gradcheck(
      [&](const std::vector<Tensor>& in) {
        return multilabel_bce_with_logits(in[0], target_ids(), target_offsets(), weights, 3.0, 7.0);
      },
      {logits});
  CHECK_MESSAGE(result.passed, result.message);
}

TEST_CASE("multilabel_bce_with_logits rejects targets that do not fit the logits") {
  const Tensor logits = randn({3, 6}, kDouble, &rng());
  const Tensor weights = ones({3}, kDouble);
  CHECK_THROWS_WITH_AS(multilabel_bce_with_logits(logits, int64s({6}, {1}), int64s({0, 1, 1, 1}, {4}), weights, 1.0),
                       doctest::Contains("target_ids holds 6, outside [0, 6)"), Error);
  CHECK_THROWS_WITH_AS(multilabel_bce_with_logits(logits, target_ids(), int64s({0, 5}, {2}), weights, 1.0),
                       doctest::Contains("one more entry than logits [3, 6] has rows"), Error);
  CHECK_THROWS_WITH_AS(multilabel_bce_with_logits(logits, target_ids(), target_offsets(), ones({2}, kDouble), 1.0),
                       doctest::Contains("weights [2]"), Error);
}

TEST_CASE("embedding_bag and multilabel_bce_with_logits match PyTorch") {
  if (testing::skip_without_torch("T-Free op parity")) return;
  const std::string directory = testing::scratch_directory("tfree_ops_parity");
  nlohmann::json cases = {{"embedding_bag", nlohmann::json::array()}, {"multilabel_bce", nlohmann::json::array()}};
  std::vector<Tensor> weights, upstreams;
  for (const bool mean : {false, true})
    for (const bool normalize : {false, true}) {
      weights.push_back(randn({10, 5}, kDouble, &rng()));
      upstreams.push_back(randn({4, 5}, kDouble, &rng()));
      cases["embedding_bag"].push_back({{"weight", rows_json(weights.back())},
                                        {"ids", rows_json(bag_ids())},
                                        {"offsets", bag_offsets().to_vector<int64_t>()},
                                        {"mean", mean},
                                        {"normalize", normalize},
                                        {"upstream", rows_json(upstreams.back())}});
    }
  const Tensor logits = randn({3, 6}, kDouble, &rng()) * 4.0;
  const std::vector<double> row_weights{1.0, 0.0, 0.5};
  cases["multilabel_bce"].push_back({{"logits", rows_json(logits)},
                                     {"target_ids", target_ids().to_vector<int64_t>()},
                                     {"target_offsets", target_offsets().to_vector<int64_t>()},
                                     {"weights", row_weights},
                                     {"pos_weight", 300.0},
                                     {"loss_scale", 100.0}});
  std::ofstream(directory + "/in.json") << cases.dump();
  testing::run_reference_script("torch_tfree_ops.py", directory + "/in.json " + directory + "/out.json");
  nlohmann::json expected;
  std::ifstream(directory + "/out.json") >> expected;

  size_t index = 0;
  for (const bool mean : {false, true})
    for (const bool normalize : {false, true}) {
      const Tensor weight = weights[index].detach().set_requires_grad();
      const Tensor out = embedding_bag(weight, bag_ids(), bag_offsets(),
                                       mean ? BagAggregation::Mean : BagAggregation::Sum, normalize);
      backward(sum(out * upstreams[index]));
      testing::check_close(out, tensor_from_rows(expected["embedding_bag"][index]["out"]), 1e-12);
      testing::check_close(weight.grad(), tensor_from_rows(expected["embedding_bag"][index]["grad"]), 1e-12);
      ++index;
    }
  const Tensor z = logits.detach().set_requires_grad();
  const Tensor loss = multilabel_bce_with_logits(z, target_ids(), target_offsets(),
                                                 from_vector(row_weights, {3}, kDouble), 300.0, 100.0);
  backward(loss);
  CHECK(loss.item<double>() == doctest::Approx(expected["multilabel_bce"][0]["loss"].get<double>()).epsilon(1e-12));
  testing::check_close(z.grad(), tensor_from_rows(expected["multilabel_bce"][0]["grad"]), 1e-12);
}
