#include "nn/llama.h"

#include "autograd/operators.h"
#include "nn/init.h"
#include "nn/module_scope.h"

namespace bytegrad::nn {
namespace {

AttentionOptions attention_options(const ModelConfig& config) {
  return {config.hidden_size, config.num_attention_heads, config.kv_heads(), config.head_size(),
          config.attention_bias, config.attention_dropout};
}

const ModelConfig& checked(const ModelConfig& config) {
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
  const ModuleScope scope(this);
  // Pre-norm residual blocks: x + attention(norm(x)), then h + SwiGLU(norm(h)).
  const Tensor h = x + self_attn.forward(input_layernorm.forward(x), rotary, start_pos, cache);
  return h + mlp.forward(post_attention_layernorm.forward(h));
}

Tensor LlamaDecoderLayer::forward_packed(const Tensor& x, const RotaryEmbedding& rotary,
                                         const Tensor& position_ids, const Tensor& blocked) const {
  const ModuleScope scope(this);
  const Tensor h = x + self_attn.forward_packed(input_layernorm.forward(x), blocked, rotary, position_ids);
  return h + mlp.forward(post_attention_layernorm.forward(h));
}

LlamaModel::LlamaModel(const ModelConfig& config, Generator& generator, RotaryPairing pairing)
    : embed_tokens(config.vocab_size, config.hidden_size, generator),
      norm(config.hidden_size, config.norm_eps),
      rotary_(config.head_size(), config.max_position_embeddings, config.rope_theta, pairing) {
  for (int64_t i = 0; i < config.num_hidden_layers; ++i)
    layers.push_back(std::make_unique<LlamaDecoderLayer>(config, generator));
  register_module("embed_tokens", &embed_tokens);
  register_module("layers", &layers);
  register_module("norm", &norm);
}

Tensor LlamaModel::forward(const Tensor& inputs_embeds, int64_t start_pos, KVCache* cache) const {
  const ModuleScope scope(this);
  Tensor h = inputs_embeds;  // [B, T, hidden]
  for (int64_t i = 0; i < layers.size(); ++i)
    h = layers[i].forward(h, rotary_, start_pos, cache ? &cache->layers[size_t(i)] : nullptr);
  return norm.forward(h);  // [B, T, hidden]
}

Tensor LlamaModel::forward_packed(const Tensor& inputs_embeds, const Tensor& position_ids,
                                  const Tensor& blocked) const {
  const ModuleScope scope(this);
  Tensor h = inputs_embeds;  // [B, T, hidden]
  for (int64_t i = 0; i < layers.size(); ++i) h = layers[i].forward_packed(h, rotary_, position_ids, blocked);
  return norm.forward(h);  // [B, T, hidden]
}

Llama::Llama(const ModelConfig& config, Generator& generator)
    : CausalLM(checked(config), "Llama"), model(this->config(), generator) {
  register_module("model", &model);
  if (!this->config().tie_word_embeddings) {
    lm_head.emplace(this->config().hidden_size, this->config().vocab_size, /*bias=*/false, generator);
    register_module("lm_head", &*lm_head);
  }
  initialize_transformer_weights(*this, this->config().initializer_range, generator);
}

Tensor Llama::decode(const Tensor& inputs_embeds, int64_t start_pos, KVCache* cache) const {
  return model.forward(inputs_embeds, start_pos, cache);
}

Tensor Llama::decode_packed(const Tensor& inputs_embeds, const Tensor& position_ids,
                           const Tensor& blocked) const {
  return model.forward_packed(inputs_embeds, position_ids, blocked);
}

Tensor Llama::head(const Tensor& hidden) const {
  const ModuleScope scope(this);
  return lm_head ? lm_head->forward(hidden) : matmul(hidden, transpose(model.embed_tokens.weight, 0, 1));
}

nlohmann::json llama_hf_config(const ModelConfig& config) {
  nlohmann::json json = {{"architectures", {"LlamaForCausalLM"}},
                         {"model_type", "llama"},
                         {"vocab_size", config.vocab_size},
                         {"hidden_size", config.hidden_size},
                         {"intermediate_size", config.mlp_size()},
                         {"num_hidden_layers", config.num_hidden_layers},
                         {"num_attention_heads", config.num_attention_heads},
                         {"num_key_value_heads", config.kv_heads()},
                         {"head_dim", config.head_size()},
                         {"max_position_embeddings", config.max_position_embeddings},
                         {"rms_norm_eps", config.norm_eps},
                         {"rope_theta", config.rope_theta},
                         {"rope_scaling", nullptr},
                         {"tie_word_embeddings", config.tie_word_embeddings},
                         {"attention_bias", config.attention_bias},
                         {"mlp_bias", config.mlp_bias},
                         {"hidden_act", config.hidden_act.empty() ? "silu" : config.hidden_act},
                         {"attention_dropout", config.attention_dropout},
                         {"initializer_range", config.initializer_range}};
  // Llama's Hugging Face config has no embedding or residual dropout; ours keeps them if set.
  if (config.embedding_dropout != 0) json["embd_pdrop"] = config.embedding_dropout;
  if (config.residual_dropout != 0) json["resid_pdrop"] = config.residual_dropout;
  return json;
}

namespace {

std::optional<std::string> llama_parameter_name(const std::string& name, const ModelConfig& config) {
  if (name == "lm_head.weight" && config.tie_word_embeddings) return std::nullopt;  // a tied head's copy
  return name;
}

}  // namespace

ModelFamily llama_family() {
  return {"llama", "LlamaForCausalLM",
          [](const ModelConfig& config, Generator& generator) -> std::unique_ptr<CausalLM> {
            return std::make_unique<Llama>(config, generator);
          },
          llama_hf_config, llama_parameter_name};
}

}  // namespace bytegrad::nn
