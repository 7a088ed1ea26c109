// Fused RMS normalisation: argument checks and dispatch (kernels/cpu/rms_norm.cpp). The rows
// are x's leading dimensions flattened.
#include "base/error.h"
#include "tensor/ops.h"

namespace bytegrad::ops {
namespace {

void check_operands(const char* op, const Tensor& x, const Tensor& weight) {
  BYTEGRAD_CHECK(x.dim() >= 1 && weight.dim() == 1 && x.size(-1) == weight.size(0) &&
                     x.dtype() == weight.dtype() &&
                     (x.dtype() == DType::Float32 || x.dtype() == DType::Float64),
                 op, ": x ", shape_str(x.shape()), " (", x.dtype(), ") and weight ",
                 shape_str(weight.shape()), " (", weight.dtype(),
                 ") must be [..., D] and [D] of one dtype, float32 or float64");
  check_same_device(op, x, weight);
}

// x as contiguous [rows, D].
Tensor as_rows(const Tensor& x) { return reshape(contiguous(x), {-1, x.size(-1)}); }

}  // namespace

std::pair<Tensor, Tensor> rms_norm(const Tensor& x, const Tensor& weight, double eps) {
  check_operands("rms_norm", x, weight);
  const Tensor rows = as_rows(x), w = contiguous(weight);
  Tensor out = empty(rows.shape(), {x.dtype(), x.device()});
  Tensor inverse_rms = empty({rows.size(0)}, {x.dtype(), x.device()});
  kernels::backend_for(x.device()).rms_norm(rows.view(), w.view(), eps, out.view(), inverse_rms.view());
  const Shape leading(x.shape().begin(), x.shape().end() - 1);
  return {reshape(out, x.shape()), reshape(inverse_rms, leading)};
}

std::pair<Tensor, Tensor> rms_norm_backward(const Tensor& x, const Tensor& weight, const Tensor& inverse_rms,
                                            const Tensor& grad_out, bool want_weight_grad) {
  check_operands("rms_norm_backward", x, weight);
  BYTEGRAD_CHECK(grad_out.shape() == x.shape(), "rms_norm_backward: grad_out ", shape_str(grad_out.shape()),
                 " must have x's shape ", shape_str(x.shape()));
  const Tensor rows = as_rows(x), w = contiguous(weight);
  const Tensor g = as_rows(to(grad_out, x.dtype())), r = contiguous(inverse_rms);
  Tensor grad_x = empty(rows.shape(), {x.dtype(), x.device()});
  Tensor grad_weight = want_weight_grad ? empty(weight.shape(), {x.dtype(), x.device()}) : Tensor();
  kernels::backend_for(x.device())
      .rms_norm_backward(rows.view(), w.view(), r.view(), g.view(), grad_x.view(),
                         want_weight_grad ? grad_weight.view() : kernels::ArrayView{});
  return {reshape(grad_x, x.shape()), grad_weight};
}

}  // namespace bytegrad::ops
