// Small random Llama and GPT-2 models for the generation and scoring tests.
#pragma once

#include <memory>
#include <string>

#include "bytegrad.h"
#include "nn/model_family.h"

namespace bytegrad::testing {

inline nn::ModelConfig small_model_config(const std::string& model_type) {
  nn::ModelConfig config;
  config.vocab_size = 31;
  config.hidden_size = 24;
  config.num_hidden_layers = 2;
  config.num_attention_heads = 6;
  config.max_position_embeddings = 32;
  config.initializer_range = 0.3;  // peaked next-token distributions, far from uniform
  if (model_type == "llama") {
    config.num_key_value_heads = 2;
    config.intermediate_size = 40;
  }
  return config;
}

// A grouped-query Llama of 2 layers, 4 query heads and 2 key/value heads, with the given sizes:
// the decode-plan tests pick row lengths (hidden, mlp) that make the products split between
// threads or the int8 groups shrink.
inline nn::ModelConfig small_llama_config(int64_t vocab, int64_t hidden, int64_t mlp, int64_t positions, bool tied,
                                         double initializer_range) {
  nn::ModelConfig config;
  config.vocab_size = vocab;
  config.hidden_size = hidden;
  config.num_hidden_layers = 2;
  config.num_attention_heads = 4;
  config.num_key_value_heads = 2;
  config.intermediate_size = mlp;
  config.max_position_embeddings = positions;
  config.tie_word_embeddings = tied;
  config.initializer_range = initializer_range;
  return config;
}

// A model with its generator, which must outlive it.
struct SmallModel {
  explicit SmallModel(const std::string& model_type, uint64_t seed = 7)
      : SmallModel(model_type, small_model_config(model_type), seed) {}
  SmallModel(const std::string& model_type, const nn::ModelConfig& config, uint64_t seed = 7)
      : generator(seed), owner(nn::build_causal_lm(model_type, config, generator)), model(*owner) {}

  Generator generator;
  std::unique_ptr<nn::CausalLM> owner;
  nn::CausalLM& model;
};

}  // namespace bytegrad::testing
