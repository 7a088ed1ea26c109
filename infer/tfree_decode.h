// T-Free decoding (Deiseroth et al. 2024, section 3 and Fig. 4): the model's multi-label head
// gives logits z over V ids; each dictionary word w is scored by how strongly its ids are active,
// and the next word is chosen among the dictionary's words. As the original code:
//   s = sigmoid(z),  S_w = sum over I_w of s + lambda * sum over E_w of s
// where I_w and E_w are w's interior and edge id sets (an id in both counts 1 + lambda) and
// lambda is the edge weight, then one of two scores, and a softmax over the dictionary:
//   kPatternMean:             S_w / (m T_w)                      (the original's first variant)
//   kPatternMeanMinusOutside: S_w / (m T_w) + (S_w - sum_j s_j) / (V - m T_w)   (its latest one)
// with m the population and T_w the word's trigram count. The original decodes greedily; this
// also samples over words with a temperature, top-k and top-p (infer/sampling.h).
#pragma once

#include <cstdint>
#include <span>
#include <vector>

#include "infer/sampling.h"
#include "tensor/generator.h"
#include "tokenizer/tfree_dictionary.h"

namespace bytegrad::infer {

enum class TfreeScore { kPatternMean, kPatternMeanMinusOutside };

struct TfreeDecodeOptions {
  TfreeScore score = TfreeScore::kPatternMeanMinusOutside;
  // lambda: the weight of edge ids (the paper suggests below 0.8 to damp edge artifacts).
  double edge_weight = 1.0;
};

// The score of every dictionary word at one position, before the softmax: [dictionary.size()].
// `logits` holds the V logits of that position. In kPatternMeanMinusOutside a word with
// m T_w >= V has no ids outside its pattern, and its second term is 0. Throws Error when
// logits.size() differs from the dictionary's vocab_size or the dictionary is empty.
std::vector<float> tfree_word_scores(const tokenizer::TfreeDictionary& dictionary, std::span<const float> logits,
                                     const TfreeDecodeOptions& options = {});

// softmax(scores): the probability of each dictionary word, as the original reports them.
std::vector<float> tfree_word_probabilities(std::span<const float> scores);

// The index of the best-scoring word (the first on ties): the original's greedy decoding.
int64_t tfree_greedy_word(const tokenizer::TfreeDictionary& dictionary, std::span<const float> logits,
                          const TfreeDecodeOptions& options = {});

// The index chosen from scores already computed (tfree_word_scores): the best (the first on
// ties) at temperature 0, else drawn as tfree_sample_word draws. Throws Error for empty scores or
// invalid sampling options.
int64_t tfree_pick_word(std::span<const float> scores, const SamplingOptions& sampling, Generator& generator);

// A word index drawn from softmax(keep_top_k(scores / temperature)) within its top-p nucleus;
// temperature 0 is greedy. The scores lie in [-1, 1], so the softmax at temperature 1 is nearly
// flat over a large dictionary: useful temperatures are small (around 0.01 to 0.05).
int64_t tfree_sample_word(const tokenizer::TfreeDictionary& dictionary, std::span<const float> logits,
                          const TfreeDecodeOptions& options, const SamplingOptions& sampling, Generator& generator);

}  // namespace bytegrad::infer
