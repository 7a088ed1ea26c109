// Normalisation over the last dim: LayerNorm (GPT-2) and RMSNorm (Llama). Both compute in at
// least float32 (see nn/precision.h) and return the input's dtype.
#pragma once

#include "nn/module.h"

namespace bytegrad::nn {

// (x - mean) / sqrt(biased variance + eps) * weight + bias. weight starts at 1, bias at 0.
class LayerNorm : public Module {
 public:
  explicit LayerNorm(int64_t dim, double eps = 1e-5);
  // x [..., dim] -> [..., dim]. Throws Error if the last dim is not `dim`.
  Tensor forward(const Tensor& x) const;

  Tensor weight;  // [dim]
  Tensor bias;    // [dim]

 private:
  double eps_;
};

// x / sqrt(mean(x^2) + eps) * weight (Zhang & Sennrich 2019). As Hugging Face's LlamaRMSNorm,
// the normalised x is cast back to the input dtype before the weight multiplies it.
class RMSNorm : public Module {
 public:
  explicit RMSNorm(int64_t dim, double eps = 1e-6);
  // x [..., dim] -> [..., dim]. Throws Error if the last dim is not `dim`.
  Tensor forward(const Tensor& x) const;

  Tensor weight;  // [dim], starts at 1

 private:
  double eps_;
};

}  // namespace bytegrad::nn
