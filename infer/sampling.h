// Choosing the next token from a language model's logits: greedy, or a draw from the
// temperature-scaled softmax restricted to the top-k tokens and to the nucleus (top-p,
// Holtzman et al. 2019), as Meta's Llama generate() samples (seed 004).
#pragma once

#include <cstdint>
#include <utility>

#include "tensor/generator.h"
#include "tensor/tensor.h"

namespace bytegrad::infer {

struct SamplingOptions {
  // Divides the logits before the softmax: above 1 flattens the distribution, below 1 sharpens
  // it; 0 takes the most likely token (greedy) and draws nothing.
  double temperature = 0.6;
  // Keep the smallest set of most likely tokens whose probability mass reaches top_p; 1 keeps all.
  double top_p = 0.9;
  // Keep only the top_k most likely tokens (and any tied with the k-th); 0 keeps all.
  int64_t top_k = 0;

  // Throws Error naming the option when temperature < 0, top_p outside (0, 1] or top_k < 0.
  void validate() const;
};

// logits [B, V] with every entry below the row's k-th largest set to -inf (ties with the k-th
// are kept, as Hugging Face's TopKLogitsWarper). k <= 0 or k >= V returns the logits unchanged.
Tensor keep_top_k(const Tensor& logits, int64_t k);

// The nucleus of each row of probs [B, V]: the probabilities sorted in descending order, those
// after the smallest prefix whose mass reaches p set to 0 (a token is dropped when the mass
// before it, cumsum - p_i, already exceeds p), and the rest renormalised to sum to 1. Returns
// (sorted probabilities [B, V], their token ids int64 [B, V]).
std::pair<Tensor, Tensor> top_p_nucleus(const Tensor& probs, double p);

// One token id per row of probs [B, V] (non-negative, each row with a positive sum; they need
// not be normalised), drawn with probability proportional to its entry using one uniform number
// per row from `generator`. Returns int64 [B].
Tensor sample_from(const Tensor& probs, Generator& generator);

// The next token of each row of logits [B, V] (the last position's logits): argmax at
// temperature 0, otherwise softmax(keep_top_k(logits / temperature)) sampled within its top-p
// nucleus. Returns int64 [B].
Tensor next_tokens(const Tensor& logits, const SamplingOptions& options, Generator& generator);

}  // namespace bytegrad::infer
