// Multi-label BCE with logits against sparse targets: argument checks and dispatch (the
// kernels are in kernels/cpu/multilabel_bce.cpp).
#include "base/error.h"
#include "tensor/ops.h"

namespace bytegrad::ops {
namespace {

void check_operands(const char* op, const Tensor& logits, const Tensor& target_ids,
                    const Tensor& target_offsets, const Tensor& weights) {
  BYTEGRAD_CHECK(logits.dim() == 2 && (logits.dtype() == DType::Float32 || logits.dtype() == DType::Float64),
                 op, ": logits ", shape_str(logits.shape()), " (", logits.dtype(),
                 ") must be float32/float64 [rows, classes]");
  BYTEGRAD_CHECK(target_ids.dim() == 1, op, ": target_ids ", shape_str(target_ids.shape()),
                 " must be 1-D [nnz]");
  BYTEGRAD_CHECK(weights.dim() == 1 && weights.size(0) == logits.size(0) && is_floating(weights.dtype()), op,
                 ": weights ", shape_str(weights.shape()), " (", weights.dtype(), ") must be floating [",
                 logits.size(0), "], one per row of logits ", shape_str(logits.shape()));
  check_same_device(op, logits, target_ids);
  check_same_device(op, logits, target_offsets);
  check_same_device(op, logits, weights);
  check_ids_below(op, "target_ids", target_ids, logits.size(1));
  const int64_t rows = check_offsets(op, "target_offsets", target_offsets, target_ids.size(0));
  BYTEGRAD_CHECK(rows == logits.size(0), op, ": target_offsets ", shape_str(target_offsets.shape()),
                 " must have one more entry than logits ", shape_str(logits.shape()), " has rows");
}

}  // namespace

Tensor multilabel_bce(const Tensor& logits, const Tensor& target_ids, const Tensor& target_offsets,
                      const Tensor& weights, double pos_weight) {
  check_operands("multilabel_bce", logits, target_ids, target_offsets, weights);
  const Tensor z = contiguous(logits), ids = contiguous(target_ids), offsets = contiguous(target_offsets);
  const Tensor w = contiguous(to(weights, logits.dtype()));
  Tensor loss = empty({logits.size(0)}, {logits.dtype(), logits.device()});
  kernels::backend_for(logits.device())
      .multilabel_bce(z.view(), ids.view(), offsets.view(), w.view(), pos_weight, loss.view());
  return loss;
}

Tensor multilabel_bce_backward(const Tensor& logits, const Tensor& target_ids,
                               const Tensor& target_offsets, const Tensor& weights,
                               double pos_weight, const Tensor& grad_loss) {
  check_operands("multilabel_bce_backward", logits, target_ids, target_offsets, weights);
  BYTEGRAD_CHECK(grad_loss.shape() == Shape{logits.size(0)}, "multilabel_bce_backward: grad_loss ",
                 shape_str(grad_loss.shape()), " must be [", logits.size(0), "]");
  const Tensor z = contiguous(logits), ids = contiguous(target_ids), offsets = contiguous(target_offsets);
  const Tensor w = contiguous(to(weights, logits.dtype()));
  const Tensor g = contiguous(to(grad_loss, logits.dtype()));
  Tensor grad_logits = empty(logits.shape(), {logits.dtype(), logits.device()});
  kernels::backend_for(logits.device())
      .multilabel_bce_backward(z.view(), ids.view(), offsets.view(), w.view(), pos_weight, g.view(),
                               grad_logits.view());
  return grad_logits;
}

}  // namespace bytegrad::ops
