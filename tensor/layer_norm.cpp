// Fused layer normalisation: argument checks and dispatch (kernels/cpu/layer_norm.cpp). The rows
// are x's leading dimensions flattened.
#include "base/error.h"
#include "tensor/ops.h"

namespace bytegrad::ops {
namespace {

void check_operands(const char* op, const Tensor& x, const Tensor& weight, const Tensor& bias) {
  BYTEGRAD_CHECK(x.dim() >= 1 && weight.dim() == 1 && x.size(-1) == weight.size(0) &&
                     bias.shape() == weight.shape() && x.dtype() == weight.dtype() &&
                     x.dtype() == bias.dtype() &&
                     (x.dtype() == DType::Float32 || x.dtype() == DType::Float64),
                 op, ": x ", shape_str(x.shape()), " (", x.dtype(), "), weight ",
                 shape_str(weight.shape()), " (", weight.dtype(), ") and bias ",
                 shape_str(bias.shape()), " (", bias.dtype(),
                 ") must be [..., D], [D] and [D] of one dtype, float32 or float64");
  check_same_device(op, x, weight);
  check_same_device(op, x, bias);
}

// x as contiguous [rows, D].
Tensor as_rows(const Tensor& x) { return reshape(contiguous(x), {-1, x.size(-1)}); }

}  // namespace

LayerNormResult layer_norm(const Tensor& x, const Tensor& weight, const Tensor& bias, double eps) {
  check_operands("layer_norm", x, weight, bias);
  const Tensor rows = as_rows(x), w = contiguous(weight), b = contiguous(bias);
  Tensor out = empty(rows.shape(), {x.dtype(), x.device()});
  Tensor mean = empty({rows.size(0)}, {x.dtype(), x.device()});
  Tensor inverse_std = empty({rows.size(0)}, {x.dtype(), x.device()});
  kernels::backend_for(x.device())
      .layer_norm(rows.view(), w.view(), b.view(), eps, out.view(), mean.view(), inverse_std.view());
  const Shape leading(x.shape().begin(), x.shape().end() - 1);
  return {reshape(out, x.shape()), reshape(mean, leading), reshape(inverse_std, leading)};
}

LayerNormGradients layer_norm_backward(const Tensor& x, const Tensor& weight, const Tensor& mean,
                                       const Tensor& inverse_std, const Tensor& grad_out,
                                       bool want_weight_grad, bool want_bias_grad) {
  check_operands("layer_norm_backward", x, weight, weight);
  BYTEGRAD_CHECK(grad_out.shape() == x.shape(), "layer_norm_backward: grad_out ",
                 shape_str(grad_out.shape()), " must have x's shape ", shape_str(x.shape()));
  const Tensor rows = as_rows(x), w = contiguous(weight);
  const Tensor g = as_rows(to(grad_out, x.dtype())), m = contiguous(mean), r = contiguous(inverse_std);
  Tensor grad_x = empty(rows.shape(), {x.dtype(), x.device()});
  Tensor grad_weight = want_weight_grad ? empty(weight.shape(), {x.dtype(), x.device()}) : Tensor();
  Tensor grad_bias = want_bias_grad ? empty(weight.shape(), {x.dtype(), x.device()}) : Tensor();
  kernels::backend_for(x.device())
      .layer_norm_backward(rows.view(), w.view(), m.view(), r.view(), g.view(), grad_x.view(),
                           want_weight_grad ? grad_weight.view() : kernels::ArrayView{},
                           want_bias_grad ? grad_bias.view() : kernels::ArrayView{});
  return {reshape(grad_x, x.shape()), grad_weight, grad_bias};
}

}  // namespace bytegrad::ops
