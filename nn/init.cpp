#include "nn/init.h"

#include "autograd/grad_mode.h"
#include "tensor/creation.h"
#include "tensor/ops.h"

namespace bytegrad::nn {

void initialize_transformer_weights(Module& module, double std, Generator& generator) {
  NoGradGuard no_grad;
  for (const auto& [name, parameter] : module.named_parameters()) {
    const bool is_bias = name.size() >= 4 && name.compare(name.size() - 4, 4, "bias") == 0;
    if (is_bias)
      ops::copy_(parameter, zeros_like(parameter));
    else if (parameter.dim() >= 2)
      ops::copy_(parameter, normal(parameter.shape(), 0.0, std,
                                   {parameter.dtype(), parameter.device()}, &generator));
  }
}

}  // namespace bytegrad::nn
