// Sampling a continuation from a language model, to show what it has learned while it trains.
#pragma once

#include <cstdint>
#include <vector>

#include "nn/language_model.h"

namespace bytegrad::train {

// Appends `count` tokens to `prompt` (non-empty) and returns only the new ones. temperature 0
// takes the most likely token; otherwise tokens are drawn from softmax(logits / temperature)
// with a generator seeded by `seed` (its own, so sampling never shifts the training's random
// stream). Decodes with a KV cache; stops early when the context reaches
// max_position_embeddings. Runs without recording gradients, in eval mode, and restores the
// model's mode.
std::vector<int64_t> sample_tokens(nn::LanguageModel& model, const std::vector<int64_t>& prompt, int64_t count,
                                   double temperature, uint64_t seed);

}  // namespace bytegrad::train
