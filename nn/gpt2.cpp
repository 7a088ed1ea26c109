#include "nn/gpt2.h"

#include "autograd/operators.h"
#include "nn/init.h"
#include "nn/module_scope.h"
#include "tensor/creation.h"

namespace bytegrad::nn {
namespace {

bool uses_tanh_gelu(const ModelConfig& config) {
  return config.hidden_act.empty() || config.hidden_act == "gelu_new" ||
         config.hidden_act == "gelu_pytorch_tanh";
}

const ModelConfig& checked(const ModelConfig& config) {
  BYTEGRAD_CHECK(uses_tanh_gelu(config) || config.hidden_act == "gelu",
                 "GPT2 config: activation '", config.hidden_act,
                 "' is not supported (\"gelu_new\", \"gelu_pytorch_tanh\" or \"gelu\")");
  BYTEGRAD_CHECK(config.kv_heads() == config.num_attention_heads && config.head_dim == 0,
                 "GPT2 config: GPT-2 has neither grouped key/value heads nor a separate head_dim");
  return config;
}

}  // namespace

GPT2Attention::GPT2Attention(const ModelConfig& config, Generator& generator)
    : c_attn(config.hidden_size, 3 * config.hidden_size, /*bias=*/true, generator,
             WeightLayout::InOut),
      c_proj(config.hidden_size, config.hidden_size, /*bias=*/true, generator, WeightLayout::InOut),
      heads_(config.num_attention_heads),
      attn_dropout_(config.attention_dropout, generator),
      resid_dropout_(config.residual_dropout, generator) {
  register_module("c_attn", &c_attn);
  register_module("c_proj", &c_proj);
  register_module("attn_dropout", &attn_dropout_);
  register_module("resid_dropout", &resid_dropout_);
}

Tensor GPT2Attention::forward(const Tensor& x, int64_t start_pos, KVCache::Layer* cache) const {
  const ModuleScope scope(this);
  const Tensor packed = c_attn.forward(x);  // [B, T, 3 * hidden]: q, k, v
  // A whole sequence without a cache: one fused op reads the heads where c_attn wrote them and
  // returns its gradient packed the same way, so splitting the heads copies nothing.
  if (!cache && start_pos == 0 && fuses_causal_attention(packed, attn_dropout_))
    return resid_dropout_.forward(c_proj.forward(fused_causal_attention_packed(packed, heads_)));
  const std::vector<Tensor> qkv = split(packed, x.size(-1), -1);  // 3 x [B, T, hidden]
  const Tensor q = split_heads(qkv[0], heads_);                               // [B, H, T, D]
  const Tensor k = split_heads(qkv[1], heads_), v = split_heads(qkv[2], heads_);
  const auto [keys, values] = cache ? cache->write(k, v, start_pos) : std::pair{k, v};
  const Tensor attended = causal_attention(q, keys, values, start_pos, attn_dropout_, &masks_);
  return resid_dropout_.forward(c_proj.forward(merge_heads(attended)));  // [B, T, hidden]
}

Tensor GPT2Attention::forward_packed(const Tensor& x, const Tensor& blocked) const {
  const ModuleScope scope(this);
  const std::vector<Tensor> qkv = split(c_attn.forward(x), x.size(-1), -1);  // 3 x [B, T, hidden]
  const Tensor attended = attention(split_heads(qkv[0], heads_), split_heads(qkv[1], heads_),
                                    split_heads(qkv[2], heads_), blocked, attn_dropout_);  // [B, H, T, D]
  return resid_dropout_.forward(c_proj.forward(merge_heads(attended)));                  // [B, T, hidden]
}

GPT2Block::GPT2Block(const ModelConfig& config, Generator& generator)
    : ln_1(config.hidden_size, config.norm_eps),
      attn(config, generator),
      ln_2(config.hidden_size, config.norm_eps),
      mlp(config.hidden_size, config.mlp_size(), uses_tanh_gelu(config), WeightLayout::InOut,
          generator),
      mlp_dropout_(config.residual_dropout, generator) {
  register_module("ln_1", &ln_1);
  register_module("attn", &attn);
  register_module("ln_2", &ln_2);
  register_module("mlp", &mlp);
  register_module("mlp_dropout", &mlp_dropout_);
}

Tensor GPT2Block::forward(const Tensor& x, int64_t start_pos, KVCache::Layer* cache) const {
  const ModuleScope scope(this);
  // Pre-norm residual blocks: x + attention(ln_1(x)), then h + MLP(ln_2(h)).
  const Tensor h = x + attn.forward(ln_1.forward(x), start_pos, cache);
  return h + mlp_dropout_.forward(mlp.forward(ln_2.forward(h)));
}

Tensor GPT2Block::forward_packed(const Tensor& x, const Tensor& blocked) const {
  const ModuleScope scope(this);
  const Tensor h = x + attn.forward_packed(ln_1.forward(x), blocked);
  return h + mlp_dropout_.forward(mlp.forward(ln_2.forward(h)));
}

GPT2Model::GPT2Model(const ModelConfig& config, Generator& generator)
    : wte(config.vocab_size, config.hidden_size, generator),
      wpe(config.max_position_embeddings, config.hidden_size, generator),
      ln_f(config.hidden_size, config.norm_eps),
      drop_(config.embedding_dropout, generator) {
  for (int64_t i = 0; i < config.num_hidden_layers; ++i)
    h.push_back(std::make_unique<GPT2Block>(config, generator));
  register_module("wte", &wte);
  register_module("wpe", &wpe);
  register_module("drop", &drop_);
  register_module("h", &h);
  register_module("ln_f", &ln_f);
}

Tensor GPT2Model::forward(const Tensor& inputs_embeds, int64_t start_pos, KVCache* cache) const {
  const ModuleScope scope(this);
  const Tensor positions = arange(double(start_pos), double(start_pos + inputs_embeds.size(1)), 1.0,
                                  {kInt64, inputs_embeds.device()});                // [T]
  Tensor x = drop_.forward(inputs_embeds + wpe.forward(positions));  // [B, T, hidden]
  for (int64_t i = 0; i < h.size(); ++i)
    x = h[i].forward(x, start_pos, cache ? &cache->layers[size_t(i)] : nullptr);
  return ln_f.forward(x);  // [B, T, hidden]
}

Tensor GPT2Model::forward_packed(const Tensor& inputs_embeds, const Tensor& position_ids,
                                 const Tensor& blocked) const {
  const ModuleScope scope(this);
  Tensor x = drop_.forward(inputs_embeds + wpe.forward(position_ids));  // [B, T, hidden]
  for (int64_t i = 0; i < h.size(); ++i) x = h[i].forward_packed(x, blocked);
  return ln_f.forward(x);  // [B, T, hidden]
}

GPT2::GPT2(const ModelConfig& config, Generator& generator)
    : CausalLM(checked(config), "GPT2"), transformer(this->config(), generator) {
  register_module("transformer", &transformer);
  initialize_transformer_weights(*this, this->config().initializer_range, generator);
}

Tensor GPT2::decode(const Tensor& inputs_embeds, int64_t start_pos, KVCache* cache) const {
  return transformer.forward(inputs_embeds, start_pos, cache);
}

Tensor GPT2::decode_packed(const Tensor& inputs_embeds, const Tensor& position_ids, const Tensor& blocked) const {
  return transformer.forward_packed(inputs_embeds, position_ids, blocked);
}

Tensor GPT2::head(const Tensor& hidden) const {
  const ModuleScope scope(this);
  return matmul(hidden, transpose(transformer.wte.weight, 0, 1));
}

namespace {

nlohmann::json gpt2_hf_config(const ModelConfig& config) {
  return {{"architectures", {"GPT2LMHeadModel"}},
          {"model_type", "gpt2"},
          {"vocab_size", config.vocab_size},
          {"n_embd", config.hidden_size},
          {"n_layer", config.num_hidden_layers},
          {"n_head", config.num_attention_heads},
          {"n_inner", config.mlp_size()},
          {"n_positions", config.max_position_embeddings},
          {"n_ctx", config.max_position_embeddings},
          {"layer_norm_epsilon", config.norm_eps},
          {"activation_function", config.hidden_act.empty() ? "gelu_new" : config.hidden_act},
          {"embd_pdrop", config.embedding_dropout},
          {"attn_pdrop", config.attention_dropout},
          {"resid_pdrop", config.residual_dropout},
          {"initializer_range", config.initializer_range},
          {"tie_word_embeddings", true}};
}

bool ends_with(const std::string& text, const std::string& suffix) {
  return text.size() >= suffix.size() && text.compare(text.size() - suffix.size(), suffix.size(), suffix) == 0;
}

// transformers' GPT-2 checkpoints come with and without the "transformer." prefix (the hub's
// gpt2 has bare names), carry causal-mask buffers, and may repeat the tied head.
std::optional<std::string> gpt2_parameter_name(const std::string& name, const ModelConfig&) {
  if (ends_with(name, ".attn.bias") || ends_with(name, ".attn.masked_bias")) return std::nullopt;
  if (name == "lm_head.weight") return std::nullopt;  // GPT-2's head is always the token embedding
  return name.rfind("transformer.", 0) == 0 ? name : "transformer." + name;
}

}  // namespace

ModelFamily gpt2_family() {
  return {"gpt2", "GPT2LMHeadModel",
          [](const ModelConfig& config, Generator& generator) -> std::unique_ptr<CausalLM> {
            return std::make_unique<GPT2>(config, generator);
          },
          gpt2_hf_config, gpt2_parameter_name};
}

}  // namespace bytegrad::nn
