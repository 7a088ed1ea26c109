#include "nn/soft_encoder.h"

#include <algorithm>

#include "autograd/operators.h"
#include "base/error.h"
#include "nn/init.h"
#include "tensor/creation.h"

namespace bytegrad::nn {
namespace {

// Reads json[key] into `field` when present, naming the key when its type is wrong.
template <typename T>
void read_field(const nlohmann::json& json, const char* key, const std::string& source, T& field) {
  if (!json.contains(key)) return;
  try {
    field = json.at(key).get<T>();
  } catch (const nlohmann::json::exception&) {
    throw Error(concat(source, ": \"", key, "\" has the wrong type (", json.at(key).dump(), ")"));
  }
}

AttentionOptions attention_options(const SoftEncoderConfig& config) {
  return {.hidden_size = config.hidden_size,
          .num_heads = config.num_attention_heads,
          .num_kv_heads = config.num_attention_heads,
          .head_dim = config.hidden_size / config.num_attention_heads,
          .bias = true,
          .dropout = 0.0};
}

const SoftEncoderConfig& validated(const SoftEncoderConfig& config) {
  config.validate("soft encoder config");
  return config;
}

}  // namespace

void SoftEncoderConfig::validate(const std::string& source) const {
  BYTEGRAD_CHECK(hidden_size > 0 && num_hidden_layers >= 0 && num_attention_heads > 0 && intermediate_size > 0 &&
                     max_bytes > 0 && output_size > 0,
                 source, ": hidden_size, num_attention_heads, intermediate_size, max_bytes and output_size must be ",
                 "positive (got ", hidden_size, ", ", num_attention_heads, ", ", intermediate_size, ", ", max_bytes,
                 ", ", output_size, ")");
  BYTEGRAD_CHECK(hidden_size % num_attention_heads == 0, source, ": num_attention_heads ", num_attention_heads,
                 " does not divide hidden_size ", hidden_size);
  BYTEGRAD_CHECK(projection == "linear" || projection == "mlp", source, ": projection \"", projection,
                 "\" is not \"linear\" or \"mlp\"");
}

nlohmann::json SoftEncoderConfig::to_json() const {
  return {{"model_type", "soft_byte_encoder"},
          {"hidden_size", hidden_size},
          {"num_hidden_layers", num_hidden_layers},
          {"num_attention_heads", num_attention_heads},
          {"intermediate_size", intermediate_size},
          {"max_bytes", max_bytes},
          {"output_size", output_size},
          {"learned_positions", learned_positions},
          {"padding_mask", padding_mask},
          {"projection", projection},
          {"initial_scale", initial_scale},
          {"norm_eps", norm_eps}};
}

SoftEncoderConfig SoftEncoderConfig::from_json(const nlohmann::json& json, const std::string& source) {
  BYTEGRAD_CHECK(json.is_object(), source, ": the encoder config must be a JSON object");
  const SoftEncoderConfig defaults;
  const nlohmann::json known = defaults.to_json();
  for (const auto& [key, value] : json.items())
    BYTEGRAD_CHECK(known.contains(key), source, ": unknown encoder config key \"", key, "\"");
  SoftEncoderConfig config;
  read_field(json, "hidden_size", source, config.hidden_size);
  read_field(json, "num_hidden_layers", source, config.num_hidden_layers);
  read_field(json, "num_attention_heads", source, config.num_attention_heads);
  read_field(json, "intermediate_size", source, config.intermediate_size);
  read_field(json, "max_bytes", source, config.max_bytes);
  read_field(json, "output_size", source, config.output_size);
  read_field(json, "learned_positions", source, config.learned_positions);
  read_field(json, "padding_mask", source, config.padding_mask);
  read_field(json, "projection", source, config.projection);
  read_field(json, "initial_scale", source, config.initial_scale);
  read_field(json, "norm_eps", source, config.norm_eps);
  if (json.contains("model_type"))
    BYTEGRAD_CHECK(json["model_type"] == "soft_byte_encoder", source, ": model_type ", json["model_type"].dump(),
                   " is not \"soft_byte_encoder\"");
  config.validate(source);
  return config;
}

SoftEncoderLayer::SoftEncoderLayer(const SoftEncoderConfig& config, Generator& generator)
    : ln_1(config.hidden_size, config.norm_eps),
      attn(attention_options(config), generator),
      ln_2(config.hidden_size, config.norm_eps),
      mlp(config.hidden_size, config.intermediate_size, /*tanh_approximation=*/false, WeightLayout::OutIn,
          generator) {
  register_module("ln_1", &ln_1);
  register_module("attn", &attn);
  register_module("ln_2", &ln_2);
  register_module("mlp", &mlp);
}

Tensor SoftEncoderLayer::forward(const Tensor& x, const Tensor& blocked) const {
  const Tensor h = x + attn.forward_masked(ln_1.forward(x), blocked, /*rotary=*/nullptr);
  return h + mlp.forward(ln_2.forward(h));
}

SoftByteEncoder::SoftByteEncoder(const SoftEncoderConfig& config, Generator& generator)
    : byte_embeddings(kByteTableSize, validated(config).hidden_size, generator, 0.02),
      norm(config.hidden_size, config.norm_eps),
      config_(config) {
  register_module("byte_embeddings", &byte_embeddings);
  if (config.learned_positions) {
    position_embeddings.emplace(config.max_bytes + 2, config.hidden_size, generator, 0.02);
    register_module("position_embeddings", &*position_embeddings);
  }
  for (int64_t i = 0; i < config.num_hidden_layers; ++i)
    layers.push_back(std::make_unique<SoftEncoderLayer>(config, generator));
  register_module("layers", &layers);
  register_module("norm", &norm);
  if (config.projection == "linear") {
    projection.emplace(config.hidden_size, config.output_size, /*bias=*/false, generator);
    register_module("projection", &*projection);
    // The original started its scale near the mean norm of the host's rows; the trainer sets it
    // from the targets, this is the fallback.
    scale = full({1}, config.initial_scale);
    register_parameter("scale", &scale);
  } else {
    mlp_in.emplace(config.hidden_size, 4 * config.hidden_size, /*bias=*/true, generator);
    mlp_out.emplace(4 * config.hidden_size, config.output_size, /*bias=*/true, generator);
    register_module("mlp_in", &*mlp_in);
    register_module("mlp_out", &*mlp_out);
  }
  initialize_transformer_weights(*this, 0.02, generator);
}

Tensor SoftByteEncoder::pooled(const Tensor& bytes) const {
  BYTEGRAD_CHECK(bytes.dim() == 2 && bytes.dtype() == kInt64 && bytes.size(1) >= 2, "SoftByteEncoder: bytes ",
                 shape_str(bytes.shape()), " (", bytes.dtype(), ") must be int64 [tokens, length >= 2]");
  const int64_t length = bytes.size(1);
  BYTEGRAD_CHECK(length <= config_.max_bytes + 2, "SoftByteEncoder: rows of ", length,
                 " ids exceed max_bytes + 2 = ", config_.max_bytes + 2);
  Tensor x = byte_embeddings.forward(bytes);  // [N, L, hidden]
  if (position_embeddings)
    x = x + position_embeddings->forward(arange(0.0, double(length), 1.0, {kInt64, bytes.device()}));
  // blocked[n, t, s]: key s of row n is a pad, the same for every query t.
  Tensor blocked;
  if (config_.padding_mask)
    blocked = expand(unsqueeze(eq(bytes, double(kPadByte)), 1), {bytes.size(0), length, length});
  for (int64_t i = 0; i < layers.size(); ++i) x = layers[i].forward(x, blocked);
  x = norm.forward(x);
  // Pool at END: a one-hot row per token picks its END position, [N, 1, L] x [N, L, hidden].
  const Tensor at_end = bytegrad::to(eq(bytes, double(kEndByte)), x.dtype());
  return squeeze(matmul(unsqueeze(at_end, 1), x), 1);  // [N, hidden]
}

Tensor SoftByteEncoder::forward(const Tensor& bytes) const {
  const Tensor pooled_vectors = pooled(bytes);
  if (projection) return projection->forward(pooled_vectors) * scale;
  return mlp_out->forward(gelu(mlp_in->forward(pooled_vectors)));
}

Tensor frame_bytes(const std::vector<std::string>& strings, int64_t max_bytes, int64_t length) {
  int64_t longest = 0;
  for (size_t i = 0; i < strings.size(); ++i) {
    const int64_t size = int64_t(strings[i].size());
    BYTEGRAD_CHECK(size <= max_bytes, "frame_bytes: string ", i, " has ", size, " bytes, more than max_bytes ",
                   max_bytes);
    longest = std::max(longest, size);
  }
  if (length == 0) length = longest + 2;
  BYTEGRAD_CHECK(longest + 2 <= length, "frame_bytes: a string of ", longest, " bytes does not fit rows of ",
                 length, " ids");
  std::vector<int64_t> ids(strings.size() * size_t(length), kPadByte);
  for (size_t i = 0; i < strings.size(); ++i) {
    int64_t* row = ids.data() + i * size_t(length);
    row[0] = kStartByte;
    for (size_t j = 0; j < strings[i].size(); ++j) row[j + 1] = static_cast<unsigned char>(strings[i][j]);
    row[strings[i].size() + 1] = kEndByte;
  }
  return from_vector(ids, {int64_t(strings.size()), length});
}

}  // namespace bytegrad::nn
