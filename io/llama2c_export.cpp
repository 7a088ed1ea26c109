#include "io/llama2c_export.h"

#include <algorithm>
#include <cmath>
#include <cstring>
#include <span>
#include <string>
#include <vector>

#include "base/error.h"
#include "tensor/views.h"
#include "io/atomic_file.h"
#include "kernels/cpu/weight_rows.h"

namespace bytegrad::io {
namespace {

constexpr double kRunCRopeTheta = 10000.0;  // hard-coded in llama2.c's run.c

void check_exportable(const nn::ModelConfig& config, const std::string& path) {
  config.validate(path);
  // An empty hidden_act means the architecture's own, which for Llama is silu.
  BYTEGRAD_CHECK(config.hidden_act.empty() || config.hidden_act == "silu", path,
                 ": llama2.c needs hidden_act silu, config has ", config.hidden_act);
  BYTEGRAD_CHECK(!config.attention_bias && !config.mlp_bias, path,
                 ": llama2.c has no attention or MLP biases");
  BYTEGRAD_CHECK(config.head_size() * config.num_attention_heads == config.hidden_size, path,
                 ": llama2.c needs head_dim = hidden_size / num_attention_heads, config has head_dim ",
                 config.head_size());
  BYTEGRAD_CHECK(config.rope_theta == kRunCRopeTheta, path, ": llama2.c's run.c uses RoPE theta ",
                 kRunCRopeTheta, ", config has rope_theta ", config.rope_theta);
}

// The float32 values of weight `name`, checked to have `shape`.
std::vector<float> weight(const TensorMap& weights, const std::string& name, const Shape& shape,
                          const std::string& path) {
  const auto found = weights.find(name);
  BYTEGRAD_CHECK(found != weights.end() && found->second.defined(), path, ": missing weight '",
                 name, "'");
  BYTEGRAD_CHECK(found->second.shape() == shape, path, ": weight '", name, "' has shape ",
                 shape_str(found->second.shape()), ", expected ", shape_str(shape));
  BYTEGRAD_CHECK(is_floating(found->second.dtype()), path, ": weight '", name,
                 "' must be floating, got ", found->second.dtype());
  return ops::to(ops::to(found->second, kCPU), DType::Float32).to_vector<float>();
}

// Hugging Face's rotate-half row order back to Meta's interleaved pairs, per head (see header).
std::vector<float> unpermute_rope_rows(const std::vector<float>& w, int64_t heads, int64_t head_size,
                                       int64_t columns) {
  std::vector<float> out(w.size());
  const int64_t half = head_size / 2;
  for (int64_t h = 0; h < heads; ++h)
    for (int64_t i = 0; i < half; ++i)
      for (int64_t p = 0; p < 2; ++p) {
        const float* source = w.data() + (h * head_size + p * half + i) * columns;
        float* target = out.data() + (h * head_size + 2 * i + p) * columns;
        std::memcpy(target, source, size_t(columns) * sizeof(float));
      }
  return out;
}

// llama2.c's precompute_freqs_cis: angle(t, i) = t / theta^(2i / head_size).
void write_rope_tables(AtomicFile& file, int64_t seq_len, int64_t head_size) {
  std::vector<float> cos_table, sin_table;
  for (int64_t t = 0; t < seq_len; ++t)
    for (int64_t i = 0; i < head_size / 2; ++i) {
      const double angle = double(t) / std::pow(kRunCRopeTheta, double(2 * i) / double(head_size));
      cos_table.push_back(float(std::cos(angle)));
      sin_table.push_back(float(std::sin(angle)));
    }
  file.write(cos_table.data(), cos_table.size() * sizeof(float));
  file.write(sin_table.data(), sin_table.size() * sizeof(float));
}

}  // namespace

void export_llama2c(const std::string& path, const TensorMap& weights,
                    const nn::ModelConfig& config) {
  check_exportable(config, path);
  const int64_t dim = config.hidden_size, hidden = config.mlp_size(),
                layers = config.num_hidden_layers, heads = config.num_attention_heads,
                kv_heads = config.kv_heads(), vocab = config.vocab_size,
                head_size = config.head_size(), kv_dim = kv_heads * head_size,
                seq_len = config.max_position_embeddings;

  const std::vector<float> embedding = weight(weights, "model.embed_tokens.weight", {vocab, dim}, path);
  std::vector<float> classifier;
  if (weights.count("lm_head.weight")) classifier = weight(weights, "lm_head.weight", {vocab, dim}, path);
  const bool shared = classifier.empty() || classifier == embedding;

  AtomicFile file(path);
  const int32_t header[7] = {int32_t(dim),      int32_t(hidden), int32_t(layers),
                             int32_t(heads),    int32_t(kv_heads),
                             int32_t(shared ? vocab : -vocab), int32_t(seq_len)};
  file.write(header, sizeof(header));
  auto write = [&](const std::vector<float>& values) {
    file.write(values.data(), values.size() * sizeof(float));
  };
  // Each kind of layer weight for all layers, then the next kind: run.c's memory_map_weights.
  auto write_layers = [&](const std::string& suffix, const Shape& shape) {
    for (int64_t l = 0; l < layers; ++l)
      write(weight(weights, concat("model.layers.", l, ".", suffix), shape, path));
  };
  auto write_rope_layers = [&](const std::string& suffix, int64_t rows, int64_t row_heads) {
    for (int64_t l = 0; l < layers; ++l)
      write(unpermute_rope_rows(weight(weights, concat("model.layers.", l, ".", suffix), {rows, dim}, path),
                                row_heads, head_size, dim));
  };
  write(embedding);
  write_layers("input_layernorm.weight", {dim});
  write_rope_layers("self_attn.q_proj.weight", dim, heads);
  write_rope_layers("self_attn.k_proj.weight", kv_dim, kv_heads);
  write_layers("self_attn.v_proj.weight", {kv_dim, dim});
  write_layers("self_attn.o_proj.weight", {dim, dim});
  write_layers("post_attention_layernorm.weight", {dim});
  write_layers("mlp.gate_proj.weight", {hidden, dim});
  write_layers("mlp.down_proj.weight", {dim, hidden});
  write_layers("mlp.up_proj.weight", {hidden, dim});
  write(weight(weights, "model.norm.weight", {dim}, path));
  write_rope_tables(file, seq_len, head_size);
  if (!shared) write(classifier);
  file.commit();
}

void export_llama2c_q8(const std::string& path, const TensorMap& weights, const nn::ModelConfig& config,
                       int64_t group) {
  check_exportable(config, path);
  BYTEGRAD_CHECK(group > 0, path, ": the group size must be positive, got ", group);
  const int64_t dim = config.hidden_size, hidden = config.mlp_size(), layers = config.num_hidden_layers,
                heads = config.num_attention_heads, kv_heads = config.kv_heads(), vocab = config.vocab_size,
                head_size = config.head_size(), kv_dim = kv_heads * head_size;
  while (dim % group != 0) group /= 2;  // version2_export's back-off

  const std::vector<float> embedding = weight(weights, "model.embed_tokens.weight", {vocab, dim}, path);
  std::vector<float> classifier;
  if (weights.count("lm_head.weight")) classifier = weight(weights, "lm_head.weight", {vocab, dim}, path);
  const bool shared = classifier.empty() || classifier == embedding;

  AtomicFile file(path);
  std::vector<char> header(256, 0);
  const uint32_t magic = 0x616b3432;
  const int32_t version = 2;
  const int32_t params[7] = {int32_t(dim),      int32_t(hidden), int32_t(layers),
                             int32_t(heads),    int32_t(kv_heads), int32_t(vocab),
                             int32_t(config.max_position_embeddings)};
  const uint8_t shared_flag = shared ? 1 : 0;
  const int32_t group_size = int32_t(group);
  size_t at = 0;
  auto put = [&](const void* data, size_t size) {
    std::memcpy(header.data() + at, data, size);
    at += size;
  };
  put(&magic, sizeof(magic));
  put(&version, sizeof(version));
  put(params, sizeof(params));
  put(&shared_flag, sizeof(shared_flag));
  put(&group_size, sizeof(group_size));
  file.write(header.data(), header.size());

  auto write = [&](const std::vector<float>& values) { file.write(values.data(), values.size() * sizeof(float)); };
  auto layer_weight = [&](int64_t l, const std::string& suffix, const Shape& shape) {
    return weight(weights, concat("model.layers.", l, ".", suffix), shape, path);
  };
  for (int64_t l = 0; l < layers; ++l) write(layer_weight(l, "input_layernorm.weight", {dim}));
  for (int64_t l = 0; l < layers; ++l) write(layer_weight(l, "post_attention_layernorm.weight", {dim}));
  write(weight(weights, "model.norm.weight", {dim}, path));

  auto write_quantized = [&](const std::vector<float>& values, const std::string& name) {
    BYTEGRAD_CHECK(int64_t(values.size()) % group == 0, path, ": weight '", name, "' has ", values.size(),
                   " values, not a multiple of the group size ", group);
    std::vector<int8_t> q(values.size());
    std::vector<float> scales(values.size() / size_t(group));
    kernels::cpu::quantize_int8_groups(values, group, q.data(), scales.data());
    file.write(q.data(), q.size());
    write(scales);
  };
  auto write_layers = [&](const std::string& suffix, const Shape& shape, int64_t rope_heads) {
    for (int64_t l = 0; l < layers; ++l) {
      std::vector<float> values = layer_weight(l, suffix, shape);
      if (rope_heads) values = unpermute_rope_rows(values, rope_heads, head_size, dim);
      write_quantized(values, concat("model.layers.", l, ".", suffix));
    }
  };
  write_quantized(embedding, "model.embed_tokens.weight");
  write_layers("self_attn.q_proj.weight", {dim, dim}, heads);
  write_layers("self_attn.k_proj.weight", {kv_dim, dim}, kv_heads);
  write_layers("self_attn.v_proj.weight", {kv_dim, dim}, 0);
  write_layers("self_attn.o_proj.weight", {dim, dim}, 0);
  write_layers("mlp.gate_proj.weight", {hidden, dim}, 0);
  write_layers("mlp.down_proj.weight", {dim, hidden}, 0);
  write_layers("mlp.up_proj.weight", {hidden, dim}, 0);
  if (!shared) write_quantized(classifier, "lm_head.weight");
  file.commit();
}

void export_llama2c_tokenizer(const std::string& path, const tokenizer::Tokenizer& tokenizer, int64_t vocab_size) {
  BYTEGRAD_CHECK(vocab_size >= int64_t(tokenizer.vocab_size()), path, ": the model's vocab_size ", vocab_size,
                 " is below the tokenizer's ", tokenizer.vocab_size());
  std::vector<std::string> pieces(static_cast<size_t>(vocab_size));
  int32_t max_token_length = 0;
  for (size_t id = 0; id < tokenizer.vocab_size(); ++id) {
    const tokenizer::TokenId token = tokenizer::TokenId(id);
    pieces[id] = tokenizer.decode(std::span(&token, 1));
    max_token_length = std::max(max_token_length, int32_t(pieces[id].size()));
  }
  AtomicFile file(path);
  file.write(&max_token_length, sizeof(max_token_length));
  for (size_t id = 0; id < pieces.size(); ++id) {
    const bool special = id < tokenizer.vocab_size() && tokenizer.is_special(tokenizer::TokenId(id));
    const float score = special ? -1e9f : -float(id);
    const int32_t length = int32_t(pieces[id].size());
    file.write(&score, sizeof(score));
    file.write(&length, sizeof(length));
    file.write(pieces[id].data(), pieces[id].size());
  }
  file.commit();
}

}  // namespace bytegrad::io
