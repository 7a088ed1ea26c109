// The Llama shape the training tests use: one layer, two heads and an MLP twice the width, small
// enough to train for a few steps in a test. The tests differ only in vocabulary, width and
// context, so those are the arguments.
#pragma once

#include <cstdint>

#include "nn/config.h"

namespace bytegrad::testing {

inline nn::ModelConfig tiny_llama_config(int64_t vocab_size, int64_t hidden_size, int64_t max_positions) {
  nn::ModelConfig config;
  config.vocab_size = vocab_size;
  config.hidden_size = hidden_size;
  config.num_hidden_layers = 1;
  config.num_attention_heads = 2;
  config.intermediate_size = 2 * hidden_size;
  config.max_position_embeddings = max_positions;
  return config;
}

}  // namespace bytegrad::testing
