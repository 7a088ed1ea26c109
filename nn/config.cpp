#include "nn/config.h"

#include <cmath>
#include <cstdint>
#include <fstream>
#include <functional>
#include <map>
#include <set>

#include "base/error.h"

namespace bytegrad::nn {
namespace {

using Setter = std::function<void(ModelConfig&, const nlohmann::json&)>;

// An integer field's value: a JSON integer, or a number with an integral value that int64
// holds (JSON writers may give 1e3 for 1000). Converting 1e30 or 128.5 with get<int64_t> would
// silently give garbage.
int64_t integer_value(const nlohmann::json& value) {
  if (value.is_number_integer()) {
    BYTEGRAD_CHECK(!value.is_number_unsigned() || value.get<uint64_t>() <= uint64_t(INT64_MAX),
                   "must be an integer of at most ", INT64_MAX, ", got ", value.dump());
    return value.get<int64_t>();
  }
  BYTEGRAD_CHECK(value.is_number_float(), "must be an integer, got ", value.dump());
  const double number = value.get<double>();
  BYTEGRAD_CHECK(number == std::trunc(number), "must be an integer, got ", value.dump());
  BYTEGRAD_CHECK(std::fabs(number) < 0x1p63, "must be an integer of at most ", INT64_MAX, ", got ", value.dump());
  return int64_t(number);
}

template <typename T>
Setter set(T ModelConfig::*field) {
  return [field](ModelConfig& config, const nlohmann::json& value) {
    if constexpr (std::is_same_v<T, int64_t>) config.*field = integer_value(value);
    else config.*field = value.get<T>();
  };
}

// GPT-2 writes n_inner: null for "the default, 4 * hidden".
Setter set_optional_size(int64_t ModelConfig::*field) {
  return [field](ModelConfig& config, const nlohmann::json& value) {
    config.*field = value.is_null() ? 0 : integer_value(value);
  };
}

// A field of the nested T-Free section.
template <typename T>
Setter set_tfree(T TFreeConfig::*field) {
  return [field](ModelConfig& config, const nlohmann::json& value) {
    if constexpr (std::is_same_v<T, int64_t>) config.tfree.*field = integer_value(value);
    else config.tfree.*field = value.get<T>();
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

// Keys that describe the checkpoint or its tooling and do not change the architecture
// (quantization_config says how the matrices are stored; io/quantized_weights.h reads it).
const std::set<std::string>& ignored_keys() {
  static const std::set<std::string> keys = {
      "architectures", "model_type", "torch_dtype", "transformers_version", "bos_token_id",
      "eos_token_id", "pad_token_id", "use_cache", "pretraining_tp", "n_ctx", "summary_type",
      "summary_use_proj", "summary_activation", "summary_proj_to_labels",
      "summary_first_dropout", "task_specific_params", "scale_attn_weights",
      "reorder_and_upcast_attn", "scale_attn_by_inverse_layer_idx", "quantization_config"};
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
  BYTEGRAD_CHECK(rope_theta > 0, source, ": rope_theta must be positive, not ", rope_theta);
  for (const auto& [field, p] : {std::pair{"embd_pdrop", embedding_dropout}, std::pair{"attention_dropout", attention_dropout},
                                 std::pair{"resid_pdrop", residual_dropout}})
    BYTEGRAD_CHECK(p >= 0 && p < 1, source, ": ", field, " must be in [0, 1), not ", p);
  parameter_estimate(source);
}

int64_t ModelConfig::parameter_estimate(const std::string& source) const {
  const auto fail = [&] {
    const double h = double(hidden_size), q = double(num_attention_heads) * double(head_size()),
                 kv = double(kv_heads()) * double(head_size());
    const double about = (tie_word_embeddings ? 1 : 2) * double(vocab_size) * h +
                         double(num_hidden_layers) * (2 * h * q + 2 * h * kv + 3 * h * double(mlp_size()));
    return Error(concat(source, ": hidden_size ", hidden_size, ", ", num_hidden_layers, " layers, vocab_size ",
                        vocab_size, " and intermediate_size ", mlp_size(), " make about ", about,
                        " parameters, more than 64 bits can count"));
  };
  const auto product = [&](std::initializer_list<int64_t> factors) {
    int64_t n = 1;
    for (int64_t f : factors)
      if (__builtin_mul_overflow(n, f, &n)) throw fail();
    return n;
  };
  const auto sum = [&](std::initializer_list<int64_t> terms) {
    int64_t n = 0;
    for (int64_t t : terms)
      if (__builtin_add_overflow(n, t, &n)) throw fail();
    return n;
  };
  const int64_t q_size = product({num_attention_heads, head_size()}), kv_size = product({kv_heads(), head_size()});
  // q, k, v and o projections; gate, up and down (GPT-2 has two of the three); two norms.
  const int64_t layer = sum({product({2, hidden_size, q_size}), product({2, hidden_size, kv_size}),
                             product({3, hidden_size, mlp_size()}), product({2, hidden_size})});
  const int64_t embeddings = product({tie_word_embeddings ? 1 : 2, vocab_size, hidden_size});
  return sum({embeddings, product({num_hidden_layers, layer}), hidden_size});
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
