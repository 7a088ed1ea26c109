// Token-level losses for language models, on the fused row cross-entropy of autograd (one pass
// forward, one pass backward over the [N, V] logits).
#pragma once

#include "tensor/tensor.h"

namespace bytegrad::nn {

// Mean negative log-likelihood of `targets` under softmax(logits), over the targets that are not
// ignore_index (as torch.nn.functional.cross_entropy). logits [N, V] or [B, T, V] (floating;
// 16-bit floats compute in float32), targets int64 [N] or [B, T]. Returns a scalar of the logits'
// dtype; NaN when every target is ignored (as torch). Throws Error naming the shapes when they
// do not match, or a target outside [0, V) that is not ignore_index.
Tensor cross_entropy(const Tensor& logits, const Tensor& targets, int64_t ignore_index = -100);

// sum(weight * nll) / sum(weight): the negative log-likelihood of each token weighted by a
// per-token float mask of the targets' shape (e.g. 1 for assistant tokens, 0 for the prompt),
// so a 0/1 mask gives the mean over the unmasked tokens. Every target must be in [0, V).
Tensor cross_entropy(const Tensor& logits, const Tensor& targets, const Tensor& weight);

}  // namespace bytegrad::nn
