#include "nn/config.h"

#include <fstream>
#include <functional>
#include <map>
#include <set>

#include "base/error.h"

namespace bytegrad::nn {
namespace {

using Setter = std::function<void(ModelConfig&, const nlohmann::json&)>;

template <typename T>
Setter set(T ModelConfig::*field) {
  return [field](ModelConfig& config, const nlohmann::json& value) {
    config.*field = value.get<T>();
  };
}

// GPT-2 writes n_inner: null for "the default, 4 * hidden".
Setter set_optional_size(int64_t ModelConfig::*field) {
  return [field](ModelConfig& config, const nlohmann::json& value) {
    config.*field = value.is_null() ? 0 : value.get<int64_t>();
  };
}

// A field of the nested T-Free section.
template <typename T>
Setter set_tfree(T TFreeConfig::*field) {
  return [field](ModelConfig& config, const nlohmann::json& value) {
    config.tfree.*field = value.get<T>();
  };
}

const std::map<std::string, Setter>& setters() {
  static const std::map<std::string, Setter> table = {
      {"vocab_size", set(&ModelConfig::vocab_size)},
      {"hidden_size", set(&ModelConfig::hidden_size)},
      {"n_embd", set(&ModelConfig::hidden_size)},
      {"num_hidden_layers", set(&ModelConfig::num_hidden_layers)},
      {"n_layer", set(&ModelConfig::num_hidden_layers)},
      {"num_attention_heads", set(&ModelConfig::num_attention_heads)},
      {"n_head", set(&ModelConfig::num_attention_heads)},
      {"num_key_value_heads", set_optional_size(&ModelConfig::num_key_value_heads)},
      {"head_dim", set_optional_size(&ModelConfig::head_dim)},
      {"intermediate_size", set_optional_size(&ModelConfig::intermediate_size)},
      {"n_inner", set_optional_size(&ModelConfig::intermediate_size)},
      {"max_position_embeddings", set(&ModelConfig::max_position_embeddings)},
      {"n_positions", set(&ModelConfig::max_position_embeddings)},
      {"rms_norm_eps", set(&ModelConfig::norm_eps)},
      {"layer_norm_epsilon", set(&ModelConfig::norm_eps)},
      {"rope_theta", set(&ModelConfig::rope_theta)},
      {"tie_word_embeddings", set(&ModelConfig::tie_word_embeddings)},
      {"attention_bias", set(&ModelConfig::attention_bias)},
      {"mlp_bias", set(&ModelConfig::mlp_bias)},
      {"hidden_act", set(&ModelConfig::hidden_act)},
      {"activation_function", set(&ModelConfig::hidden_act)},
      {"embd_pdrop", set(&ModelConfig::embedding_dropout)},
      {"attn_pdrop", set(&ModelConfig::attention_dropout)},
      {"attention_dropout", set(&ModelConfig::attention_dropout)},
      {"resid_pdrop", set(&ModelConfig::residual_dropout)},
      {"initializer_range", set(&ModelConfig::initializer_range)},
      {"tfree_population", set_tfree(&TFreeConfig::population)},
      {"tfree_lowercase_overlap", set_tfree(&TFreeConfig::lowercase_overlap)},
      {"tfree_aggregation", set_tfree(&TFreeConfig::aggregation)},
      {"tfree_normalize", set_tfree(&TFreeConfig::normalize)},
      {"loss_pos_weight", set_tfree(&TFreeConfig::loss_pos_weight)},
      {"loss_scale", set_tfree(&TFreeConfig::loss_scale)},
      {"rope_scaling",
       [](ModelConfig&, const nlohmann::json& value) {
         BYTEGRAD_CHECK(value.is_null(), "rope scaling is not supported (only null)");
       }},
  };
  return table;
}

// Keys that describe the checkpoint or its tooling and do not change the architecture.
const std::set<std::string>& ignored_keys() {
  static const std::set<std::string> keys = {
      "architectures", "model_type", "torch_dtype", "transformers_version", "bos_token_id",
      "eos_token_id", "pad_token_id", "use_cache", "pretraining_tp", "n_ctx", "summary_type",
      "summary_use_proj", "summary_activation", "summary_proj_to_labels",
      "summary_first_dropout", "task_specific_params", "scale_attn_weights",
      "reorder_and_upcast_attn", "scale_attn_by_inverse_layer_idx"};
  return keys;
}

}  // namespace

void ModelConfig::validate(const std::string& source) const {
  const auto positive = [&source](const char* field, int64_t value) {
    BYTEGRAD_CHECK(value > 0, source, ": ", field, " must be positive, not ", value);
  };
  positive("vocab_size", vocab_size);
  positive("hidden_size", hidden_size);
  positive("num_hidden_layers", num_hidden_layers);
  positive("num_attention_heads", num_attention_heads);
  positive("max_position_embeddings", max_position_embeddings);
  BYTEGRAD_CHECK(head_dim > 0 || hidden_size % num_attention_heads == 0, source,
                 ": num_attention_heads ", num_attention_heads, " must divide hidden_size ",
                 hidden_size);
  BYTEGRAD_CHECK(kv_heads() > 0 && num_attention_heads % kv_heads() == 0, source,
                 ": num_key_value_heads ", kv_heads(), " must divide num_attention_heads ",
                 num_attention_heads);
  BYTEGRAD_CHECK(norm_eps > 0, source, ": the norm epsilon must be positive, not ", norm_eps);
}

ModelConfig model_config_from_json(const nlohmann::json& json, const std::string& source) {
  BYTEGRAD_CHECK(json.is_object(), source, ": a model config must be a JSON object");
  ModelConfig config;
  for (const auto& [key, value] : json.items()) {
    if (ignored_keys().count(key)) continue;
    const auto setter = setters().find(key);
    BYTEGRAD_CHECK(setter != setters().end(), source, ": unknown model config key '", key, "'");
    try {
      setter->second(config, value);
    } catch (const std::exception& e) {
      throw Error(concat(source, ": model config key '", key, "': ", e.what()));
    }
  }
  config.validate(source);
  return config;
}

ModelConfig load_model_config(const std::string& path) {
  std::ifstream in(path);
  BYTEGRAD_CHECK(in.good(), path, ": cannot open the model config");
  nlohmann::json json;
  try {
    json = nlohmann::json::parse(in);
  } catch (const nlohmann::json::exception& e) {
    throw Error(concat(path, ": not valid JSON: ", e.what()));
  }
  return model_config_from_json(json, path);
}

}  // namespace bytegrad::nn
