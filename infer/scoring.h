// Scoring token sequences with a language model (seed 003): the log-probability of each label
// given the tokens before it, and the entropy of each next-token distribution. The building
// blocks of supervised fine-tuning and RL losses, and of `bytegrad score`.
#pragma once

#include "nn/causal_lm.h"
#include "tensor/tensor.h"

namespace bytegrad::infer {

// The per-token entropy -sum_v p_v log p_v of softmax(logits) for logits [B, T, V], computed
// stably through log_softmax. Returns [B, T]. Differentiable.
Tensor compute_entropy(const Tensor& logits);

struct ResponseLogProbs {
  Tensor log_probs;      // [B, T]: log p(labels[b, t] | input_ids[b, 0..t])
  Tensor token_entropy;  // [B, T]: the entropy at each position; undefined unless asked for
};

// One forward pass of `model` over input_ids [B, T] int64 and the log-probability of each of
// labels [B, T] (the inputs shifted left by one, as tokenization for SFT produces them). Nothing
// is masked. Gradients flow to the model's parameters when grad mode is on (the caller chooses
// train or eval mode and no-grad scopes). Throws Error naming the shapes when input_ids and
// labels differ, and for ids or labels outside the vocabulary.
ResponseLogProbs get_response_log_probs(const nn::CausalLM& model, const Tensor& input_ids,
                                        const Tensor& labels, bool return_token_entropy = false);

}  // namespace bytegrad::infer
