// The model families bytegrad can build by name, and what each knows about its Hugging Face
// form: the model_type and architecture names in config.json, the config fields it writes, and
// how checkpoint weight names map onto its parameters. A family lives in its model file
// (nn/llama.cpp, nn/gpt2.cpp, as candle's model files own theirs); adding one is that file plus
// its line in model_families() (nn/model_family.cpp).
//
//   std::unique_ptr<CausalLM> model = build_causal_lm("llama", config, generator);
//   nlohmann::json config_json = model_family("gpt2").hf_config(config);
#pragma once

#include <memory>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "nn/causal_lm.h"
#include "tensor/generator.h"

namespace bytegrad::nn {

struct ModelFamily {
  std::string model_type;    // Hugging Face's "model_type": "llama"
  std::string architecture;  // Hugging Face's "architectures"[0]: "LlamaForCausalLM"
  // A model of this family with freshly initialised weights; `generator` draws them (and later
  // the dropout masks) and must outlive the model.
  std::unique_ptr<CausalLM> (*build)(const ModelConfig& config, Generator& generator);
  // config.json's fields as transformers writes them for this family, every default spelled
  // out (model_type and architectures included).
  nlohmann::json (*hf_config)(const ModelConfig& config);
  // The parameter name a checkpoint's tensor `name` loads into, or nullopt for tensors that are
  // not parameters here (causal-mask buffers, the extra copy of a tied head).
  std::optional<std::string> (*parameter_name)(const std::string& name, const ModelConfig& config);
  // False for families whose inputs are not token ids (T-Free reads trigram bags): their
  // embed(ids) and forward(ids) throw, and callers feed hidden_states embeddings instead.
  bool reads_token_ids = true;
};

// Every family, in registration order.
const std::vector<ModelFamily>& model_families();

// The family whose model_type is `model_type`. Throws Error listing the known ones otherwise.
const ModelFamily& model_family(const std::string& model_type);

// The family a config.json describes: its "model_type", else the first of its "architectures".
// Throws Error naming `source` (the file) when neither names a known family.
const ModelFamily& model_family_of(const nlohmann::json& config, const std::string& source);

// model_family(model_type).build(config, generator).
std::unique_ptr<CausalLM> build_causal_lm(const std::string& model_type, const ModelConfig& config,
                                          Generator& generator);

}  // namespace bytegrad::nn
