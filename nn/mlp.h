// The transformer's position-wise feed-forward blocks.
#pragma once

#include "nn/linear.h"
#include "nn/module.h"

namespace bytegrad::nn {

// GPT-2's MLP: c_proj(gelu(c_fc(x))), with Hugging Face GPT-2's names. The weight layout is a
// parameter because GPT-2 checkpoints store these weights as Conv1D, [in, out].
class GeluMLP : public Module {
 public:
  // tanh_approximation selects GPT-2's "gelu_new" over the exact erf GELU.
  GeluMLP(int64_t hidden_size, int64_t intermediate_size, bool tanh_approximation,
          WeightLayout layout, Generator& generator);
  // x [..., hidden] -> [..., hidden].
  Tensor forward(const Tensor& x) const;

  Linear c_fc;    // hidden -> intermediate, with bias
  Linear c_proj;  // intermediate -> hidden, with bias

 private:
  bool tanh_approximation_;
};

// Llama's SwiGLU (Shazeer 2020): down_proj(silu(gate_proj(x)) * up_proj(x)), no biases unless
// asked for (Hugging Face's mlp_bias).
class SwiGLU : public Module {
 public:
  SwiGLU(int64_t hidden_size, int64_t intermediate_size, bool bias, Generator& generator);
  // x [..., hidden] -> [..., hidden].
  Tensor forward(const Tensor& x) const;

  Linear gate_proj;  // hidden -> intermediate
  Linear up_proj;    // hidden -> intermediate
  Linear down_proj;  // intermediate -> hidden
};

}  // namespace bytegrad::nn
