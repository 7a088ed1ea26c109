#include "nn/mlp.h"

#include "autograd/operators.h"
#include "nn/module_scope.h"

namespace bytegrad::nn {

GeluMLP::GeluMLP(int64_t hidden_size, int64_t intermediate_size, bool tanh_approximation,
                 WeightLayout layout, Generator& generator)
    : c_fc(hidden_size, intermediate_size, /*bias=*/true, generator, layout),
      c_proj(intermediate_size, hidden_size, /*bias=*/true, generator, layout),
      tanh_approximation_(tanh_approximation) {
  register_module("c_fc", &c_fc);
  register_module("c_proj", &c_proj);
}

Tensor GeluMLP::forward(const Tensor& x) const {
  const ModuleScope scope(this);
  return c_proj.forward(gelu(c_fc.forward(x), tanh_approximation_));
}

SwiGLU::SwiGLU(int64_t hidden_size, int64_t intermediate_size, bool bias, Generator& generator)
    : gate_proj(hidden_size, intermediate_size, bias, generator),
      up_proj(hidden_size, intermediate_size, bias, generator),
      down_proj(intermediate_size, hidden_size, bias, generator) {
  register_module("gate_proj", &gate_proj);
  register_module("up_proj", &up_proj);
  register_module("down_proj", &down_proj);
}

Tensor SwiGLU::forward(const Tensor& x) const {
  const ModuleScope scope(this);
  return down_proj.forward(silu(gate_proj.forward(x)) * up_proj.forward(x));
}

}  // namespace bytegrad::nn
