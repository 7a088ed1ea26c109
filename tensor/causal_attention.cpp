// Fused causal attention: argument checks and dispatch (kernels/cpu/causal_attention.cpp).
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

}  // namespace

CausalAttentionResult causal_attention(const Tensor& q, const Tensor& k, const Tensor& v) {
  check_operands("causal_attention", q, k, v);
  const Tensor qc = contiguous(q), kc = contiguous(k), vc = contiguous(v);
  Tensor out = empty(q.shape(), {q.dtype(), q.device()});
  Tensor probabilities = empty({q.size(0), q.size(1), q.size(2), k.size(2)}, {q.dtype(), q.device()});
  kernels::backend_for(q.device())
      .causal_attention(qc.view(), kc.view(), vc.view(), 1.0 / std::sqrt(double(q.size(3))), out.view(),
                        probabilities.view());
  return {out, probabilities};
}

CausalAttentionGradients causal_attention_backward(const Tensor& q, const Tensor& k, const Tensor& v,
                                                   const Tensor& probabilities, const Tensor& grad_out) {
  check_operands("causal_attention_backward", q, k, v);
  const Shape probabilities_shape{q.size(0), q.size(1), q.size(2), k.size(2)};
  BYTEGRAD_CHECK(grad_out.shape() == q.shape() && probabilities.shape() == probabilities_shape,
                 "causal_attention_backward: grad_out ", shape_str(grad_out.shape()),
                 " must have q's shape ", shape_str(q.shape()), " and probabilities ",
                 shape_str(probabilities.shape()), " must be ", shape_str(probabilities_shape));
  const Tensor qc = contiguous(q), kc = contiguous(k), vc = contiguous(v);
  const Tensor p = contiguous(probabilities), g = contiguous(to(grad_out, q.dtype()));
  Tensor grad_q = empty(q.shape(), {q.dtype(), q.device()});
  Tensor grad_k = empty(k.shape(), {k.dtype(), k.device()});
  Tensor grad_v = empty(v.shape(), {v.dtype(), v.device()});
  kernels::backend_for(q.device())
      .causal_attention_backward(qc.view(), kc.view(), vc.view(), p.view(),
                                 1.0 / std::sqrt(double(q.size(3))), g.view(), grad_q.view(),
                                 grad_k.view(), grad_v.view());
  return {grad_q, grad_k, grad_v};
}

}  // namespace bytegrad::ops
