#include "nn/norm.h"

#include "autograd/operators.h"
#include "nn/module_scope.h"
#include "nn/precision.h"

namespace bytegrad::nn {
namespace {

void check_last_dim(const char* layer, const Tensor& x, const Tensor& weight) {
  BYTEGRAD_CHECK(x.dim() >= 1 && x.size(-1) == weight.size(0), layer, ": input ",
                 shape_str(x.shape()), " must end in the normalised size ", weight.size(0));
}

}  // namespace

LayerNorm::LayerNorm(int64_t dim, double eps) : eps_(eps) {
  weight = ones({dim});
  bias = zeros({dim});
  register_parameter("weight", &weight);
  register_parameter("bias", &bias);
}

Tensor LayerNorm::forward(const Tensor& x) const {
  const ModuleScope scope(this);
  check_last_dim("LayerNorm", x, weight);
  // float32/float64 take the fused op; 16-bit inputs normalise in float32 through the composed
  // form below, then narrow back.
  if (x.dtype() == weight.dtype() && x.dtype() == bias.dtype() &&
      (x.dtype() == kFloat32 || x.dtype() == kFloat64))
    return layer_norm(x, weight, bias, eps_);
  const Tensor wide = upcast(x);
  const Tensor centered = wide - mean(wide, {-1}, true);
  const Tensor variance = mean(square(centered), {-1}, true);
  const Tensor normalised = centered * rsqrt(variance + eps_);
  return bytegrad::to(normalised * upcast(weight) + upcast(bias), x.dtype());
}

RMSNorm::RMSNorm(int64_t dim, double eps) : eps_(eps) {
  weight = ones({dim});
  register_parameter("weight", &weight);
}

Tensor RMSNorm::forward(const Tensor& x) const {
  const ModuleScope scope(this);
  check_last_dim("RMSNorm", x, weight);
  // float32/float64 take the fused op; 16-bit inputs normalise in float32 through the composed
  // form below, then narrow back.
  if (x.dtype() == weight.dtype() && (x.dtype() == kFloat32 || x.dtype() == kFloat64))
    return rms_norm(x, weight, eps_);
  const Tensor wide = upcast(x);
  const Tensor normalised = wide * rsqrt(mean(square(wide), {-1}, true) + eps_);
  return weight * bytegrad::to(normalised, x.dtype());
}

}  // namespace bytegrad::nn
