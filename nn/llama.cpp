#include "nn/llama.h"

#include "autograd/operators.h"
#include "nn/init.h"

namespace bytegrad::nn {
namespace {

AttentionOptions attention_options(const ModelConfig& config) {
  return {config.hidden_size, config.num_attention_heads, config.kv_heads(), config.head_size(),
          config.attention_bias, config.attention_dropout};
}

const ModelConfig& checked(const ModelConfig& config) {
  config.validate("Llama config");
  BYTEGRAD_CHECK(config.hidden_act.empty() || config.hidden_act == "silu",
                 "Llama config: hidden_act '", config.hidden_act,
                 "' is not supported (Llama uses \"silu\")");
  return config;
}

}  // namespace

LlamaDecoderLayer::LlamaDecoderLayer(const ModelConfig& config, Generator& generator)
    : input_layernorm(config.hidden_size, config.norm_eps),
      self_attn(attention_options(config), generator),
      post_attention_layernorm(config.hidden_size, config.norm_eps),
      mlp(config.hidden_size, config.mlp_size(), config.mlp_bias, generator) {
  register_module("self_attn", &self_attn);
  register_module("mlp", &mlp);
  register_module("input_layernorm", &input_layernorm);
  register_module("post_attention_layernorm", &post_attention_layernorm);
}

Tensor LlamaDecoderLayer::forward(const Tensor& x, const RotaryEmbedding& rotary,
                                  int64_t start_pos, KVCache::Layer* cache) const {
  // Pre-norm residual blocks: x + attention(norm(x)), then h + SwiGLU(norm(h)).
  const Tensor h = x + self_attn.forward(input_layernorm.forward(x), rotary, start_pos, cache);
  return h + mlp.forward(post_attention_layernorm.forward(h));
}

LlamaModel::LlamaModel(const ModelConfig& config, Generator& generator)
    : embed_tokens(config.vocab_size, config.hidden_size, generator),
      norm(config.hidden_size, config.norm_eps),
      rotary_(config.head_size(), config.max_position_embeddings, config.rope_theta) {
  for (int64_t i = 0; i < config.num_hidden_layers; ++i)
    layers.push_back(std::make_unique<LlamaDecoderLayer>(config, generator));
  register_module("embed_tokens", &embed_tokens);
  register_module("layers", &layers);
  register_module("norm", &norm);
}

Tensor LlamaModel::forward(const Tensor& ids, int64_t start_pos, KVCache* cache) const {
  Tensor h = embed_tokens.forward(ids);  // [B, T, hidden]
  for (int64_t i = 0; i < layers.size(); ++i)
    h = layers[i].forward(h, rotary_, start_pos, cache ? &cache->layers[size_t(i)] : nullptr);
  return norm.forward(h);  // [B, T, hidden]
}

Llama::Llama(const ModelConfig& config, Generator& generator)
    : config_(checked(config)), model(config_, generator) {
  register_module("model", &model);
  if (!config_.tie_word_embeddings) {
    lm_head.emplace(config_.hidden_size, config_.vocab_size, /*bias=*/false, generator);
    register_module("lm_head", &*lm_head);
  }
  initialize_transformer_weights(*this, config_.initializer_range, generator);
}

Tensor Llama::forward(const Tensor& ids, int64_t start_pos, KVCache* cache) const {
  check_causal_lm_inputs("Llama", ids, start_pos, cache, config_);
  if (cache) cache->check_room("Llama", ids.size(1));
  const Tensor h = model.forward(ids, start_pos, cache);  // [B, T, hidden]
  if (cache) cache->length += ids.size(1);
  // Logits [B, T, vocab]: the head, or the transposed embedding table when tied.
  return lm_head ? lm_head->forward(h)
                 : matmul(h, transpose(model.embed_tokens.weight, 0, 1));
}

}  // namespace bytegrad::nn
