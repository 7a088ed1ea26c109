// Gradient of the fused RMS normalisation. The node keeps x, the weight and one inverse RMS per
// row (not the normalised rows or any of the composed form's intermediates).
#include "autograd/functions.h"
#include "autograd/node.h"

namespace bytegrad {

Tensor rms_norm(const Tensor& x, const Tensor& weight, double eps) {
  auto [out, inverse_rms] = ops::rms_norm(x, weight, eps);
  if (!should_record({x, weight})) return out;
  return record("rms_norm", out, {x, weight},
                [x = x.detach(), weight = weight.detach(), inverse_rms = inverse_rms](const Tensor& g, const Needs& need) {
                  auto [grad_x, grad_weight] = ops::rms_norm_backward(x, weight, inverse_rms, g, need[1]);
                  return std::vector<Tensor>{need[0] ? grad_x : Tensor(), grad_weight};
                });
}

}  // namespace bytegrad
