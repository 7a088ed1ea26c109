#include "nn/dropout.h"

#include "autograd/operators.h"
#include "tensor/creation.h"

namespace bytegrad::nn {

Dropout::Dropout(double p, Generator& generator) : p_(p), generator_(&generator) {
  BYTEGRAD_CHECK(p >= 0.0 && p < 1.0, "Dropout: probability ", p, " must be in [0, 1)");
}

Tensor Dropout::forward(const Tensor& x) const {
  if (is_identity()) return x;
  const Tensor keep = ge(rand(x.shape(), {kFloat32, x.device()}, generator_), p_);
  return x * bytegrad::to(keep, x.dtype()) * (1.0 / (1.0 - p_));
}

}  // namespace bytegrad::nn
