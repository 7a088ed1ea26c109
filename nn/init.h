// The initialisation Hugging Face gives its transformers (GPT-2, Llama): every matrix and
// embedding normal(0, std) with std = initializer_range, every bias zero, and norm weights
// (vectors not named "bias") left at their initial ones.
#pragma once

#include "nn/module.h"
#include "tensor/generator.h"

namespace bytegrad::nn {

void initialize_transformer_weights(Module& module, double std, Generator& generator);

}  // namespace bytegrad::nn
