// Per-token quantities of a language model's next-token distributions, for scoring and for
// supervised fine-tuning: the log-probability of a chosen token and the entropy. Both are built
// from the differentiable log_softmax, so gradients flow back to the logits.
#pragma once

#include "tensor/tensor.h"

namespace bytegrad::nn {

// log softmax(logits[b, t])[labels[b, t]] for logits [B, T, V] (floating; 16-bit floats compute
// in float32) and labels int64 [B, T] in [0, V). Returns [B, T] in the logits' compute dtype.
// Throws Error naming both shapes when they do not pair, or a label outside [0, V).
Tensor token_log_probs(const Tensor& logits, const Tensor& labels);

// The entropy H = -sum_v p_v log p_v of softmax(logits[b, t]) for logits [B, T, V], computed
// from the stable log_softmax (x - logsumexp(x)) so large logits neither overflow nor give
// 0 * -inf. Returns [B, T] in the logits' compute dtype. Throws Error unless logits are 3-D.
Tensor token_entropy(const Tensor& logits);

}  // namespace bytegrad::nn
