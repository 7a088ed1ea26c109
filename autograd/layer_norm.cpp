// Gradient of the fused layer normalisation. The node keeps x, the weight and two numbers per
// row (mean and inverse standard deviation), not the normalised rows or any of the composed
// form's intermediates.
#include "autograd/functions.h"
#include "autograd/node.h"

namespace bytegrad {

Tensor layer_norm(const Tensor& x, const Tensor& weight, const Tensor& bias, double eps) {
  auto [out, mean, inverse_std] = ops::layer_norm(x, weight, bias, eps);
  if (!should_record({x, weight, bias})) return out;
  return record("layer_norm", out, {x, weight, bias},
                [x = x.detach(), weight = weight.detach(), mean = mean, inverse_std = inverse_std](
                    const Tensor& g, const Needs& need) {
                  auto [grad_x, grad_weight, grad_bias] =
                      ops::layer_norm_backward(x, weight, mean, inverse_std, g, need[1], need[2]);
                  return std::vector<Tensor>{need[0] ? grad_x : Tensor(), grad_weight, grad_bias};
                });
}

}  // namespace bytegrad
