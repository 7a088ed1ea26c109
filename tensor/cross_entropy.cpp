// Fused cross-entropy over rows of logits: argument checks and dispatch (the kernels are in
// kernels/cpu/cross_entropy.cpp).
#include "base/error.h"
#include "tensor/ops.h"

namespace bytegrad::ops {
namespace {

void check_rows(const char* op, const Tensor& logits, const Tensor& targets) {
  BYTEGRAD_CHECK(logits.dim() == 2 && (logits.dtype() == DType::Float32 || logits.dtype() == DType::Float64) &&
                     targets.dtype() == DType::Int64 && targets.shape() == Shape{logits.size(0)},
                 op, ": logits ", shape_str(logits.shape()), " (", logits.dtype(), ") and targets ",
                 shape_str(targets.shape()), " (", targets.dtype(),
                 ") must be float32/float64 [N, V] and int64 [N]");
  check_same_device(op, logits, targets);
}

}  // namespace

std::pair<Tensor, Tensor> cross_entropy(const Tensor& logits, const Tensor& targets) {
  check_rows("cross_entropy", logits, targets);
  const int64_t vocab = logits.size(1);
  if (targets.numel() > 0) {
    const int64_t low = reduce(ReduceOp::Min, targets, {}, false).item<int64_t>();
    const int64_t high = reduce(ReduceOp::Max, targets, {}, false).item<int64_t>();
    BYTEGRAD_CHECK(low >= 0 && high < vocab, "cross_entropy: target ", low < 0 ? low : high,
                   " is outside the ", vocab, " classes of logits ", shape_str(logits.shape()));
  }
  const Tensor x = contiguous(logits), t = contiguous(targets);
  Tensor loss = empty({logits.size(0)}, {logits.dtype(), logits.device()});
  Tensor log_normalizer = empty_like(loss);
  kernels::backend_for(logits.device()).cross_entropy(x.view(), t.view(), loss.view(), log_normalizer.view());
  return {loss, log_normalizer};
}

Tensor cross_entropy_backward(const Tensor& logits, const Tensor& targets, const Tensor& log_normalizer,
                              const Tensor& grad_loss) {
  check_rows("cross_entropy_backward", logits, targets);
  BYTEGRAD_CHECK(log_normalizer.shape() == targets.shape() && grad_loss.shape() == targets.shape(),
                 "cross_entropy_backward: log_normalizer ", shape_str(log_normalizer.shape()),
                 " and grad_loss ", shape_str(grad_loss.shape()), " must match targets ",
                 shape_str(targets.shape()));
  const Tensor x = contiguous(logits), t = contiguous(targets);
  const Tensor lse = contiguous(to(log_normalizer, logits.dtype()));
  const Tensor g = contiguous(to(grad_loss, logits.dtype()));
  Tensor grad_logits = empty(logits.shape(), {logits.dtype(), logits.device()});
  kernels::backend_for(logits.device())
      .cross_entropy_backward(x.view(), t.view(), lse.view(), g.view(), grad_logits.view());
  return grad_logits;
}

}  // namespace bytegrad::ops
