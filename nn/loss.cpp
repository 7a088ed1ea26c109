#include "nn/loss.h"

#include "autograd/operators.h"
#include "nn/precision.h"

namespace bytegrad::nn {
namespace {

// -log softmax(logits)[target] per token, flattened to [N]. `targets` must be in range.
Tensor token_nll(const Tensor& logits, const Tensor& targets) {
  const int64_t vocab = logits.size(-1);
  const Tensor rows = reshape(upcast(logits), {-1, vocab});  // [N, V]
  return cross_entropy_rows(rows, reshape(targets, {-1}));    // [N]
}

void check_shapes(const char* op, const Tensor& logits, const Tensor& targets) {
  BYTEGRAD_CHECK((logits.dim() == 2 || logits.dim() == 3) && targets.dtype() == kInt64 &&
                     Shape(logits.shape().begin(), logits.shape().end() - 1) == targets.shape(),
                 op, ": logits ", shape_str(logits.shape()), " and targets ",
                 shape_str(targets.shape()), " (", targets.dtype(),
                 ") must be [N, V] and int64 [N], or [B, T, V] and int64 [B, T]");
}

}  // namespace

Tensor cross_entropy(const Tensor& logits, const Tensor& targets, int64_t ignore_index) {
  check_shapes("cross_entropy", logits, targets);
  const Tensor kept = ne(targets, double(ignore_index));
  // Ignored positions look up class 0 and are then weighted out.
  const Tensor in_range = where(kept, targets, zeros_like(targets));
  const Tensor weight = to(reshape(kept, {-1}), compute_dtype(logits.dtype()));
  const Tensor loss = sum(token_nll(logits, in_range) * weight) / sum(weight);
  return to(loss, logits.dtype());
}

Tensor cross_entropy(const Tensor& logits, const Tensor& targets, const Tensor& weight) {
  check_shapes("cross_entropy", logits, targets);
  BYTEGRAD_CHECK(weight.shape() == targets.shape() && is_floating(weight.dtype()),
                 "cross_entropy: weight ", shape_str(weight.shape()), " (", weight.dtype(),
                 ") must be floating point with the targets' shape ", shape_str(targets.shape()));
  const Tensor flat_weight = to(reshape(weight, {-1}), compute_dtype(logits.dtype()));
  const Tensor loss = sum(token_nll(logits, targets) * flat_weight) / sum(flat_weight);
  return to(loss, logits.dtype());
}

}  // namespace bytegrad::nn
