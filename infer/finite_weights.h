// Generation and scoring on weights that hold NaN or infinities (a diverged training run) give
// garbage that looks like output (NUL bytes, null log-probs), so the commands check first.
#pragma once

#include <string>

#include "nn/module.h"

namespace bytegrad::infer {

// Throws Error naming `source` (the model's directory) and the first parameter holding a NaN
// or infinity. One pass over the weights; released parameters are skipped.
void require_finite_weights(const nn::Module& model, const std::string& source);

}  // namespace bytegrad::infer
