#include "nn/token_log_probs.h"

#include "autograd/operators.h"
#include "nn/precision.h"

namespace bytegrad::nn {
namespace {

void check_logits(const char* op, const Tensor& logits) {
  BYTEGRAD_CHECK(logits.dim() == 3 && is_floating(logits.dtype()), op, ": logits ",
                 shape_str(logits.shape()), " (", logits.dtype(),
                 ") must be floating point [B, T, V]");
}

}  // namespace

Tensor token_log_probs(const Tensor& logits, const Tensor& labels) {
  check_logits("token_log_probs", logits);
  BYTEGRAD_CHECK(labels.dtype() == kInt64 && labels.dim() == 2 &&
                     labels.size(0) == logits.size(0) && labels.size(1) == logits.size(1),
                 "token_log_probs: logits ", shape_str(logits.shape()), " and labels ",
                 shape_str(labels.shape()), " (", labels.dtype(),
                 ") must be [B, T, V] and int64 [B, T]");
  const Tensor log_probs = log_softmax(upcast(logits), -1);      // [B, T, V]
  // gather bounds-checks the labels against V.
  return squeeze(gather(log_probs, 2, unsqueeze(labels, -1)), -1);  // [B, T]
}

Tensor token_entropy(const Tensor& logits) {
  check_logits("token_entropy", logits);
  const Tensor log_probs = log_softmax(upcast(logits), -1);  // [B, T, V]
  return neg(sum(exp(log_probs) * log_probs, {-1}));         // [B, T]
}

}  // namespace bytegrad::nn
