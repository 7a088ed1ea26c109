// Fused causal attention: argument checks and dispatch (kernels/cpu/causal_attention.cpp).
// Operands are passed as they are when their rows are dense (the heads of a packed projection,
// a transposed [B, T, H, D]); anything else is copied first.
#include <cmath>

#include "base/error.h"
#include "tensor/ops.h"

namespace bytegrad::ops {
namespace {

void check_operands(const char* op, const Tensor& q, const Tensor& k, const Tensor& v) {
  BYTEGRAD_CHECK(q.dim() == 4 && k.dim() == 4 && k.shape() == v.shape() && q.size(0) == k.size(0) &&
                     q.size(3) == k.size(3) && k.size(1) > 0 && q.size(1) % k.size(1) == 0 &&
                     k.size(2) >= q.size(2) && q.dtype() == k.dtype() && q.dtype() == v.dtype() &&
                     (q.dtype() == DType::Float32 || q.dtype() == DType::Float64),
                 op, ": q ", shape_str(q.shape()), ", k ", shape_str(k.shape()), ", v ",
                 shape_str(v.shape()), " (", q.dtype(), ", ", k.dtype(), ", ", v.dtype(),
                 ") must be [B, H, T, D], [B, H_kv, S, D] and [B, H_kv, S, D] with H_kv dividing H "
                 "and S >= T, of one dtype, float32 or float64");
  check_same_device(op, q, k);
  check_same_device(op, q, v);
}

// Whether the kernel can read t [B, H, rows, D] in place: each row dense, rows not overlapping.
bool has_dense_rows(const Tensor& t) {
  return t.strides()[3] == 1 && (t.size(2) <= 1 || t.strides()[2] >= t.size(3));
}

Tensor with_dense_rows(const Tensor& t) { return has_dense_rows(t) ? t : contiguous(t); }

// An uninitialised [B, H, rows, D] whose memory is laid out [B, rows, H, D], so that merging
// the heads back into [B, rows, H * D] is a view, not a copy.
Tensor empty_heads_last(const Tensor& like) {
  const Tensor rows_first = empty({like.size(0), like.size(2), like.size(1), like.size(3)},
                                  {like.dtype(), like.device()});
  return transpose(rows_first, 1, 2);
}

double scale_of(const Tensor& q) { return 1.0 / std::sqrt(double(q.size(3))); }

}  // namespace

CausalAttentionResult causal_attention(const Tensor& q, const Tensor& k, const Tensor& v) {
  check_operands("causal_attention", q, k, v);
  const Tensor qd = with_dense_rows(q), kd = with_dense_rows(k), vd = with_dense_rows(v);
  Tensor out = empty_heads_last(q);
  Tensor logsumexp = empty({q.size(0), q.size(1), q.size(2)}, {q.dtype(), q.device()});
  kernels::backend_for(q.device())
      .causal_attention(qd.view(), kd.view(), vd.view(), scale_of(q), out.view(), logsumexp.view());
  return {out, logsumexp};
}

void causal_attention_backward(const Tensor& q, const Tensor& k, const Tensor& v, const Tensor& out,
                               const Tensor& logsumexp, const Tensor& grad_out, const Tensor& grad_q,
                               const Tensor& grad_k, const Tensor& grad_v) {
  check_operands("causal_attention_backward", q, k, v);
  const Shape logsumexp_shape{q.size(0), q.size(1), q.size(2)};
  BYTEGRAD_CHECK(grad_out.shape() == q.shape() && out.shape() == q.shape() && logsumexp.shape() == logsumexp_shape &&
                     out.dtype() == q.dtype() && logsumexp.dtype() == q.dtype(),
                 "causal_attention_backward: grad_out ", shape_str(grad_out.shape()), " and out ",
                 shape_str(out.shape()), " must have q's shape ", shape_str(q.shape()), " and logsumexp ",
                 shape_str(logsumexp.shape()), " must be ", shape_str(logsumexp_shape), ", in q's dtype");
  BYTEGRAD_CHECK(grad_q.shape() == q.shape() && grad_k.shape() == k.shape() && grad_v.shape() == v.shape() &&
                     grad_q.dtype() == q.dtype() && grad_k.dtype() == q.dtype() && grad_v.dtype() == q.dtype() &&
                     has_dense_rows(grad_q) && has_dense_rows(grad_k) && has_dense_rows(grad_v),
                 "causal_attention_backward: gradients ", shape_str(grad_q.shape()), ", ",
                 shape_str(grad_k.shape()), ", ", shape_str(grad_v.shape()), " must be shaped like q, k, v ",
                 "in their dtype, with dense rows");
  check_same_device("causal_attention_backward", q, out);
  check_same_device("causal_attention_backward", q, grad_out);
  const Tensor qd = with_dense_rows(q), kd = with_dense_rows(k), vd = with_dense_rows(v);
  const Tensor od = with_dense_rows(out), lse = contiguous(logsumexp);
  const Tensor g = with_dense_rows(to(grad_out, q.dtype()));
  kernels::backend_for(q.device())
      .causal_attention_backward(qd.view(), kd.view(), vd.view(), od.view(), lse.view(), scale_of(q), g.view(),
                                 grad_q.view(), grad_k.view(), grad_v.view());
}

CausalAttentionGradients causal_attention_backward(const Tensor& q, const Tensor& k, const Tensor& v,
                                                   const Tensor& out, const Tensor& logsumexp,
                                                   const Tensor& grad_out) {
  CausalAttentionGradients grads{empty_heads_last(q), empty_heads_last(k), empty_heads_last(v)};
  causal_attention_backward(q, k, v, out, logsumexp, grad_out, grads.grad_q, grads.grad_k, grads.grad_v);
  return grads;
}

}  // namespace bytegrad::ops
