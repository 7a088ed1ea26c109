// Llama (Touvron et al. 2023): a decoder-only transformer with pre-RMSNorm, rotary positions,
// grouped-query attention and SwiGLU, with Hugging Face's LlamaForCausalLM parameter names
// (model.embed_tokens, model.layers.N.{self_attn,mlp,input_layernorm,post_attention_layernorm},
// model.norm, lm_head), so its checkpoints load by name.
#pragma once

#include <optional>

#include "nn/attention.h"
#include "nn/causal_lm.h"
#include "nn/config.h"
#include "nn/embedding.h"
#include "nn/linear.h"
#include "nn/mlp.h"
#include "nn/model_family.h"
#include "nn/module_list.h"
#include "nn/module_scope.h"
#include "nn/norm.h"
#include "nn/rotary.h"

namespace bytegrad::nn {

class LlamaDecoderLayer : public Module {
 public:
  LlamaDecoderLayer(const ModelConfig& config, Generator& generator);
  // x [B, T, hidden] -> [B, T, hidden].
  Tensor forward(const Tensor& x, const RotaryEmbedding& rotary, int64_t start_pos,
                 KVCache::Layer* cache) const;
  // Packed rows: explicit position_ids [B, T] and document mask blocked [B, T, T].
  Tensor forward_packed(const Tensor& x, const RotaryEmbedding& rotary, const Tensor& position_ids,
                        const Tensor& blocked) const;

  RMSNorm input_layernorm;
  GroupedQueryAttention self_attn;
  RMSNorm post_attention_layernorm;
  SwiGLU mlp;
};

// The decoder stack without the head: input embeddings -> final normalised hidden states.
class LlamaModel : public Module {
 public:
  // `pairing` chooses the rotary form: Hugging Face's half-split (Llama checkpoints) or the
  // interleaved pairs of Meta's original code (T-Free).
  LlamaModel(const ModelConfig& config, Generator& generator,
             RotaryPairing pairing = RotaryPairing::HalfSplit);
  // inputs_embeds [B, T, hidden] -> [B, T, hidden].
  Tensor forward(const Tensor& inputs_embeds, int64_t start_pos, KVCache* cache) const;
  // Packed rows (CausalLM::hidden_states_packed): position_ids [B, T], blocked [B, T, T].
  Tensor forward_packed(const Tensor& inputs_embeds, const Tensor& position_ids, const Tensor& blocked) const;

  Embedding embed_tokens;
  ModuleList<LlamaDecoderLayer> layers;
  RMSNorm norm;

 private:
  RotaryEmbedding rotary_;
};

class Llama : public CausalLM {
 public:
  // Validates `config`, builds the model in float32 and initialises it as Hugging Face does.
  // `generator` draws the initial weights and the dropout masks; it must outlive the model.
  Llama(const ModelConfig& config, Generator& generator);

  std::string model_type() const override { return "llama"; }
  Tensor embed(const Tensor& ids) const override {
    const ModuleScope scope(this);
    return model.embed_tokens.forward(ids);
  }
  // The head, or the transposed embedding table when tied.
  Tensor head(const Tensor& hidden) const override;
  std::vector<std::string> embedding_parameter_names() const override {
    return {"model.embed_tokens.weight"};
  }

  LlamaModel model;
  // Untied head [vocab, hidden]; with tie_word_embeddings the head is model.embed_tokens and
  // there is no lm_head parameter.
  std::optional<Linear> lm_head;

 private:
  Tensor decode(const Tensor& inputs_embeds, int64_t start_pos, KVCache* cache) const override;
  Tensor decode_packed(const Tensor& inputs_embeds, const Tensor& position_ids,
                       const Tensor& blocked) const override;
};

// Llama's registration (nn/model_family.h): "llama", LlamaForCausalLM, its config.json fields
// and transformers' weight names (the same as ours; a tied model's lm_head.weight is dropped).
ModelFamily llama_family();

// config.json's fields for a LlamaForCausalLM of `config` (also the base of T-Free's).
nlohmann::json llama_hf_config(const ModelConfig& config);

}  // namespace bytegrad::nn
