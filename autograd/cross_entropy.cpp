// Gradient of the fused row cross-entropy: d loss[n] / d logits[n] = softmax(logits[n]) -
// one_hot(targets[n]). The node keeps the logits and one logsumexp per row, not the [N, V]
// log-probabilities.
#include "autograd/functions.h"
#include "autograd/node.h"

namespace bytegrad {

Tensor cross_entropy_rows(const Tensor& logits, const Tensor& targets) {
  auto [loss, log_normalizer] = ops::cross_entropy(logits, targets);
  if (!should_record({logits})) return loss;
  return record("cross_entropy", loss, {logits},
                [logits = logits.detach(), targets, log_normalizer = log_normalizer](const Tensor& g, const Needs&) {
                  return std::vector<Tensor>{ops::cross_entropy_backward(logits, targets, log_normalizer, g)};
                });
}

}  // namespace bytegrad
