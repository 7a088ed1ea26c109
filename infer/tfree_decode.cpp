#include "infer/tfree_decode.h"

#include <algorithm>
#include <cmath>

#include "base/error.h"
#include "tensor/creation.h"

namespace bytegrad::infer {
namespace {

// Sum of s over ids[begin, end).
double sum_over(const std::vector<int32_t>& ids, int64_t begin, int64_t end, const std::vector<float>& s) {
  double total = 0;
  for (int64_t i = begin; i < end; ++i) total += s[std::size_t(ids[std::size_t(i)])];
  return total;
}

}  // namespace

std::vector<float> tfree_word_scores(const tokenizer::TfreeDictionary& dictionary, std::span<const float> logits,
                                     const TfreeDecodeOptions& options) {
  const tokenizer::TrigramHashConfig& config = dictionary.config();
  BYTEGRAD_CHECK(int64_t(logits.size()) == config.vocab_size, "tfree_word_scores: ", logits.size(),
                 " logits for a dictionary of vocab_size ", config.vocab_size);
  BYTEGRAD_CHECK(dictionary.size() > 0, "tfree_word_scores: the dictionary is empty");
  std::vector<float> s(logits.size());
  double total = 0;
  for (std::size_t j = 0; j < logits.size(); ++j) {
    s[j] = float(1.0 / (1.0 + std::exp(-double(logits[j]))));
    total += s[j];
  }
  const double m = config.population, vocab = double(config.vocab_size);
  const auto& interior = dictionary.interior_offsets();
  const auto& edge = dictionary.edge_offsets();
  std::vector<float> scores(std::size_t(dictionary.size()));
#pragma omp parallel for schedule(static) if (dictionary.size() > 4096)
  for (int64_t w = 0; w < dictionary.size(); ++w) {
    const std::size_t i = std::size_t(w);
    const double active = sum_over(dictionary.interior_ids(), interior[i], interior[i + 1], s) +
                          options.edge_weight * sum_over(dictionary.edge_ids(), edge[i], edge[i + 1], s);
    const double slots = m * dictionary.trigram_counts()[i];
    double score = active / slots;
    if (options.score == TfreeScore::kPatternMeanMinusOutside && vocab > slots)
      score += (active - total) / (vocab - slots);
    scores[i] = float(score);
  }
  return scores;
}

std::vector<float> tfree_word_probabilities(std::span<const float> scores) {
  BYTEGRAD_CHECK(!scores.empty(), "tfree_word_probabilities: no scores");
  const float peak = *std::max_element(scores.begin(), scores.end());
  std::vector<float> probabilities(scores.size());
  double total = 0;
  for (std::size_t i = 0; i < scores.size(); ++i) total += probabilities[i] = std::exp(scores[i] - peak);
  for (float& p : probabilities) p = float(p / total);
  return probabilities;
}

int64_t tfree_pick_word(std::span<const float> scores, const SamplingOptions& sampling, Generator& generator) {
  sampling.validate();
  BYTEGRAD_CHECK(!scores.empty(), "tfree_pick_word: no scores");
  if (sampling.temperature == 0) return int64_t(std::max_element(scores.begin(), scores.end()) - scores.begin());
  const Tensor row = from_vector(std::vector<float>(scores.begin(), scores.end()), Shape{1, int64_t(scores.size())});
  return next_tokens(row, sampling, generator).to_vector<int64_t>().at(0);
}

int64_t tfree_greedy_word(const tokenizer::TfreeDictionary& dictionary, std::span<const float> logits,
                          const TfreeDecodeOptions& options) {
  const std::vector<float> scores = tfree_word_scores(dictionary, logits, options);
  return int64_t(std::max_element(scores.begin(), scores.end()) - scores.begin());
}

int64_t tfree_sample_word(const tokenizer::TfreeDictionary& dictionary, std::span<const float> logits,
                          const TfreeDecodeOptions& options, const SamplingOptions& sampling, Generator& generator) {
  return tfree_pick_word(tfree_word_scores(dictionary, logits, options), sampling, generator);
}

}  // namespace bytegrad::infer
