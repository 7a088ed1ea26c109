// The supervised fine-tuning objective (seed 003): the negative log-likelihood of the response
// tokens, averaged over them, optionally plus a KL penalty that keeps the model near a frozen
// reference; and the response entropy that shows how confident the model has become.
#pragma once

#include <cstdint>
#include <optional>

#include "tensor/tensor.h"
#include "train/sft/batch.h"

namespace bytegrad::train {

// sum(values * mask) / normalize_constant, over every element or, with `dim`, over that
// dimension only. Differentiable in `values`; positions where mask is 0 get zero gradient.
// Throws Error when the shapes differ or normalize_constant is 0.
Tensor masked_normalize(const Tensor& values, const Tensor& mask, double normalize_constant,
                        std::optional<int64_t> dim = std::nullopt);

// The exact per-position KL(p || q) = sum_v p_v (log p_v - log q_v) between the next-token
// distributions p = softmax(logits) and q = softmax(reference_logits), both [B, T, V].
// Returns [B, T]; differentiable in `logits` (the reference is taken as constant). Zero where
// the two agree. Throws Error when the shapes differ.
Tensor token_kl_divergence(const Tensor& logits, const Tensor& reference_logits);

// One micro-batch's share of an SFT step.
struct SftMicrobatchLoss {
  // What backward takes: (nll + kl_coef * kl) / grad_accum_steps, so that the gradients of
  // grad_accum_steps micro-batches add up to their mean's.
  Tensor scaled_loss;
  double nll = 0;           // masked mean of -log p(label) over the response tokens
  double entropy = 0;       // masked mean of the next-token entropy over the response tokens
  std::optional<double> kl;  // masked mean KL to the reference, when one is given
};

// The loss of `logits` [B, T, V] for `batch`: the masked mean negative log-likelihood
//   nll = -masked_normalize(token_log_probs(logits, labels), response_mask, response_tokens)
// plus, when `reference_logits` is given, kl_coef times the masked mean of token_kl_divergence.
// Throws Error when the batch has no response token or the shapes do not match.
SftMicrobatchLoss sft_microbatch_loss(const Tensor& logits, const SftBatch& batch, int64_t grad_accum_steps,
                                      const Tensor* reference_logits = nullptr, double kl_coef = 0.0);

}  // namespace bytegrad::train
