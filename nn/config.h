// A transformer's hyper-parameters, read from JSON with Hugging Face's field names so that a
// Hugging Face checkpoint's config.json loads as it is. GPT-2's own names are accepted too:
// n_embd (hidden_size), n_layer (num_hidden_layers), n_head (num_attention_heads),
// n_positions (max_position_embeddings), n_inner (intermediate_size), layer_norm_epsilon
// (the norm's eps), activation_function (hidden_act).
#pragma once

#include <string>

#include <nlohmann/json.hpp>

namespace bytegrad::nn {

// T-Free's own fields (model_type "tfree", nn/tfree.h), saved in config.json under the names in
// comments. The defaults are the original's 7B release (configs/7b_fineweb.yaml).
struct TFreeConfig {
  int64_t population = 10;          // tfree_population: m hashed rows per trigram
  int64_t lowercase_overlap = 2;    // tfree_lowercase_overlap: k of the m from the lowercased trigram
  std::string aggregation = "sum";  // tfree_aggregation: "sum" or "mean" over a trigram's m rows
  bool normalize = false;           // tfree_normalize: divide a word's sum by its trigram count
  double loss_pos_weight = 300.0;   // loss_pos_weight: BCE weight of a pattern's ones
  double loss_scale = 100.0;        // loss_scale: the loss is multiplied by it (logged divided)
};

struct ModelConfig {
  int64_t vocab_size = 0;
  int64_t hidden_size = 0;
  int64_t num_hidden_layers = 0;
  int64_t num_attention_heads = 0;
  int64_t num_key_value_heads = 0;  // 0 in JSON-less configs means num_attention_heads
  int64_t head_dim = 0;             // 0 means hidden_size / num_attention_heads
  int64_t intermediate_size = 0;    // 0 means 4 * hidden_size (GPT-2's default)
  int64_t max_position_embeddings = 2048;
  double norm_eps = 1e-5;            // rms_norm_eps or layer_norm_epsilon
  double rope_theta = 10000.0;
  bool tie_word_embeddings = false;
  bool attention_bias = false;       // Llama's q/k/v/o biases
  bool mlp_bias = false;             // Llama's gate/up/down biases
  // The activation; empty means the architecture's own: "silu" (Llama), "gelu_new" (GPT-2).
  std::string hidden_act;
  double embedding_dropout = 0.0;    // embd_pdrop
  double attention_dropout = 0.0;    // attn_pdrop / attention_dropout
  double residual_dropout = 0.0;     // resid_pdrop
  double initializer_range = 0.02;   // std of the initial weights
  TFreeConfig tfree;                 // read by the T-Free family only

  // The defaults above resolved (kv heads, head_dim, intermediate size).
  int64_t kv_heads() const {
    return num_key_value_heads ? num_key_value_heads : num_attention_heads;
  }
  int64_t head_size() const { return head_dim ? head_dim : hidden_size / num_attention_heads; }
  int64_t mlp_size() const { return intermediate_size ? intermediate_size : 4 * hidden_size; }

  // The number of parameters a model of this config has, give or take biases and GPT-2's
  // position table, counting three MLP matrices (GPT-2 has two, so its count is up to a third
  // below): what sizes memory before anything is allocated. Throws Error naming `source` when the count overflows 64 bits.
  int64_t parameter_estimate(const std::string& source) const;

  // Throws Error naming `source` and the field when a size is not positive, the heads do not
  // divide hidden_size (without an explicit head_dim), kv heads do not divide the heads,
  // rope_theta or the norm epsilon is not positive, a dropout is outside [0, 1), or the
  // parameter count overflows.
  void validate(const std::string& source) const;
};

// Reads a config from parsed JSON; `source` (a file name) names it in errors. Keys that only
// describe the checkpoint (architectures, model_type, torch_dtype, token ids, ...) are accepted
// and ignored; any other unknown key, a value of the wrong type (a size must be an integer:
// 128.5 or 1e30 is an error, 1e3 reads as 1000), or a feature this framework does not
// implement (rope_scaling) throws Error naming the source and the key.
ModelConfig model_config_from_json(const nlohmann::json& json, const std::string& source);

// Reads and parses the JSON file at `path` (e.g. a checkpoint's config.json). Throws Error
// naming the path when it cannot be read or parsed.
ModelConfig load_model_config(const std::string& path);

}  // namespace bytegrad::nn
