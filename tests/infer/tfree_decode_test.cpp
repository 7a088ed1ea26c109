// T-Free dictionary decoding (infer/tfree_decode.h): a planted pattern selects its word under both
// scores, the edge weight acts on edge ids only, and the scores follow their formulas.
#include <doctest/doctest.h>

#include <algorithm>
#include <cmath>
#include <vector>

#include "base/error.h"
#include "infer/tfree_decode.h"

namespace bytegrad::infer {
namespace {

using tokenizer::TfreeDictionary;
using tokenizer::TrigramHasher;

const tokenizer::TrigramHashConfig kConfig{.vocab_size = 2048, .population = 6, .lowercase_overlap = 2};

TfreeDictionary dictionary_of(const TrigramHasher& hasher) {
  tokenizer::WordCounts counts;
  tokenizer::count_tfree_words("the quick brown fox jumps over the lazy dog and the cat naps in the sun", counts);
  return TfreeDictionary::from_counts(hasher, counts, 100);
}

// Logits of -8 everywhere but +8 on `word`'s pattern.
std::vector<float> planted(const TrigramHasher& hasher, const std::string& word) {
  std::vector<float> logits(std::size_t(kConfig.vocab_size), -8.0f);
  for (int64_t id : hasher.word_pattern(word)) logits[std::size_t(id)] = 8.0f;
  return logits;
}

TEST_CASE("a planted pattern selects its word under both scores") {
  const TrigramHasher hasher(kConfig);
  const TfreeDictionary dictionary = dictionary_of(hasher);
  for (const char* word : {"quick", "fox", "the", "lazy", "<|endoftext|>", "<|ws|>"}) {
    CAPTURE(word);
    const std::vector<float> logits = planted(hasher, word);
    for (TfreeScore score : {TfreeScore::kPatternMean, TfreeScore::kPatternMeanMinusOutside}) {
      const int64_t chosen = tfree_greedy_word(dictionary, logits, {.score = score});
      CHECK(dictionary.word(chosen) == word);
    }
  }
}

TEST_CASE("the scores follow their formulas") {
  const TrigramHasher hasher(kConfig);
  const TfreeDictionary dictionary = dictionary_of(hasher);
  std::vector<float> logits(std::size_t(kConfig.vocab_size));
  for (std::size_t j = 0; j < logits.size(); ++j) logits[j] = float(std::sin(double(j)) * 3);
  std::vector<double> s(logits.size());
  double total = 0;
  for (std::size_t j = 0; j < s.size(); ++j) total += s[j] = 1 / (1 + std::exp(-double(logits[j])));
  const double lambda = 0.5;
  const std::vector<float> mean = tfree_word_scores(dictionary, logits, {.score = TfreeScore::kPatternMean, .edge_weight = lambda});
  const std::vector<float> contrast = tfree_word_scores(dictionary, logits, {.edge_weight = lambda});
  const int64_t w = dictionary.find("quick");
  const tokenizer::WordIdSets sets = hasher.word_id_sets("quick");
  double active = 0;
  for (int32_t id : sets.interior) active += s[std::size_t(id)];
  for (int32_t id : sets.edge) active += lambda * s[std::size_t(id)];
  const double slots = 6.0 * sets.trigram_count;
  CHECK(mean[std::size_t(w)] == doctest::Approx(active / slots).epsilon(1e-5));
  CHECK(contrast[std::size_t(w)] == doctest::Approx(active / slots + (active - total) / (2048 - slots)).epsilon(1e-5));
}

TEST_CASE("the edge weight scales edge ids only") {
  const TrigramHasher hasher(kConfig);
  const TfreeDictionary dictionary = dictionary_of(hasher);
  const int64_t w = dictionary.find("quick");
  const tokenizer::WordIdSets sets = hasher.word_id_sets("quick");
  // Activate one edge id that is not also interior, then one interior id that is not an edge id.
  const auto only_in = [](const std::vector<int32_t>& a, const std::vector<int32_t>& b) {
    for (int32_t id : a)
      if (!std::binary_search(b.begin(), b.end(), id)) return id;
    return int32_t(-1);
  };
  const int32_t edge_id = only_in(sets.edge, sets.interior), interior_id = only_in(sets.interior, sets.edge);
  REQUIRE(edge_id >= 0);
  REQUIRE(interior_id >= 0);
  const auto score_with = [&](int32_t id, double lambda) {
    std::vector<float> logits(std::size_t(kConfig.vocab_size), -30.0f);
    logits[std::size_t(id)] = 30.0f;  // s = 1 there, about 0 elsewhere
    return tfree_word_scores(dictionary, logits, {.score = TfreeScore::kPatternMean, .edge_weight = lambda})[std::size_t(w)];
  };
  const double slots = 6.0 * sets.trigram_count;
  CHECK(score_with(edge_id, 1.0) == doctest::Approx(1 / slots));
  CHECK(score_with(edge_id, 0.25) == doctest::Approx(0.25 / slots));
  CHECK(score_with(edge_id, 0.0) == doctest::Approx(0.0).epsilon(1e-6));
  CHECK(score_with(interior_id, 0.25) == doctest::Approx(1 / slots));
}

TEST_CASE("probabilities are a softmax over the dictionary and sampling stays on likely words") {
  const TrigramHasher hasher(kConfig);
  const TfreeDictionary dictionary = dictionary_of(hasher);
  const std::vector<float> logits = planted(hasher, "lazy");
  const std::vector<float> scores = tfree_word_scores(dictionary, logits);
  const std::vector<float> p = tfree_word_probabilities(scores);
  double total = 0;
  for (float v : p) total += v;
  CHECK(total == doctest::Approx(1.0));
  CHECK(std::max_element(p.begin(), p.end()) - p.begin() == dictionary.find("lazy"));

  Generator generator(7);
  const SamplingOptions greedy{.temperature = 0};
  CHECK(tfree_sample_word(dictionary, logits, {}, greedy, generator) == dictionary.find("lazy"));
  const SamplingOptions top1{.temperature = 1.0, .top_p = 1.0, .top_k = 1};
  CHECK(tfree_sample_word(dictionary, logits, {}, top1, generator) == dictionary.find("lazy"));
  // A low temperature concentrates the draws on the planted word.
  const SamplingOptions cold{.temperature = 0.01, .top_p = 0.95};
  int hits = 0;
  for (int i = 0; i < 50; ++i) hits += tfree_sample_word(dictionary, logits, {}, cold, generator) == dictionary.find("lazy");
  CHECK(hits >= 45);
}

TEST_CASE("logits of the wrong length are an error") {
  const TrigramHasher hasher(kConfig);
  const TfreeDictionary dictionary = dictionary_of(hasher);
  const std::vector<float> logits(10, 0.0f);
  CHECK_THROWS_WITH_AS(tfree_word_scores(dictionary, logits), "tfree_word_scores: 10 logits for a dictionary of vocab_size 2048",
                       Error);
}

}  // namespace
}  // namespace bytegrad::infer
