// Embedding bags: argument checks and dispatch (the kernels are in kernels/cpu/embedding_bag.cpp).
#include "base/error.h"
#include "tensor/ops.h"

namespace bytegrad::ops {
namespace {

// Checks every operand against weight [V, h]; returns the bag count W.
int64_t check_bags(const char* op, const Tensor& weight, const Tensor& ids, const Tensor& offsets) {
  BYTEGRAD_CHECK(weight.dim() == 2 && (weight.dtype() == DType::Float32 || weight.dtype() == DType::Float64),
                 op, ": weight ", shape_str(weight.shape()), " (", weight.dtype(),
                 ") must be float32/float64 [num_embeddings, dim]");
  BYTEGRAD_CHECK(ids.dim() == 2 && ids.dtype() == DType::Int64 && ids.size(1) > 0, op, ": ids ",
                 shape_str(ids.shape()), " (", ids.dtype(), ") must be int64 [items, rows per item > 0]");
  check_same_device(op, weight, ids);
  check_same_device(op, weight, offsets);
  check_ids_below(op, "ids", ids, weight.size(0));
  return check_offsets(op, "offsets", offsets, ids.size(0));
}

}  // namespace

Tensor embedding_bag(const Tensor& weight, const Tensor& ids, const Tensor& offsets,
                     BagAggregation aggregation, bool normalize) {
  const int64_t bags = check_bags("embedding_bag", weight, ids, offsets);
  const Tensor w = contiguous(weight), i = contiguous(ids), o = contiguous(offsets);
  Tensor out = empty({bags, weight.size(1)}, {weight.dtype(), weight.device()});
  kernels::backend_for(weight.device())
      .embedding_bag(w.view(), i.view(), o.view(), aggregation == BagAggregation::Mean, normalize, out.view());
  return out;
}

void embedding_bag_backward_(const Tensor& grad_weight, const Tensor& grad_out, const Tensor& ids,
                             const Tensor& offsets, BagAggregation aggregation, bool normalize) {
  const int64_t bags = check_bags("embedding_bag_backward", grad_weight, ids, offsets);
  BYTEGRAD_CHECK(grad_weight.is_contiguous() && grad_out.shape() == Shape({bags, grad_weight.size(1)}),
                 "embedding_bag_backward: grad_out ", shape_str(grad_out.shape()), " must be [", bags, ", ",
                 grad_weight.size(1), "] and grad_weight ", shape_str(grad_weight.shape()), " contiguous");
  const Tensor g = contiguous(to(grad_out, grad_weight.dtype()));
  const Tensor i = contiguous(ids), o = contiguous(offsets);
  kernels::backend_for(grad_weight.device())
      .embedding_bag_backward(g.view(), i.view(), o.view(), aggregation == BagAggregation::Mean, normalize,
                              grad_weight.view());
}

}  // namespace bytegrad::ops
