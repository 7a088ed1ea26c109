// The multi-label BCE loss as one op: the forward pass keeps one number per row, the backward
// pass writes the logits' gradient once (sigmoid minus the sparse targets, weighted), so neither
// a dense target matrix nor the [W, V] elementwise losses are ever stored.
#include "autograd/functions.h"
#include "autograd/node.h"

namespace bytegrad {

Tensor multilabel_bce_with_logits(const Tensor& logits, const Tensor& target_ids, const Tensor& target_offsets,
                                  const Tensor& weights, double pos_weight, double loss_scale) {
  const Tensor rows = ops::multilabel_bce(logits, target_ids, target_offsets, weights, pos_weight);
  // The mean over every (row, class) element, as torch's reduction="mean", times loss_scale.
  const double factor = logits.numel() > 0 ? loss_scale / double(logits.numel()) : 0.0;
  Tensor loss = ops::unary(ops::UnaryOp::MulScalar, ops::reduce(ops::ReduceOp::Sum, rows, {}, false), factor);
  if (!should_record({logits})) return loss;
  return record("multilabel_bce_with_logits", loss, {logits},
                [logits = logits.detach(), target_ids, target_offsets, weights, pos_weight,
                 factor](const Tensor& g, const Needs&) {
                  const Tensor grad_rows =
                      ops::unary(ops::UnaryOp::MulScalar, ops::expand(g, {logits.size(0)}), factor);
                  return std::vector<Tensor>{ops::multilabel_bce_backward(logits, target_ids, target_offsets,
                                                                          weights, pos_weight, grad_rows)};
                });
}

}  // namespace bytegrad
