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
#include "nn/module_list.h"
#include "nn/norm.h"
#include "nn/rotary.h"

namespace bytegrad::nn {

class LlamaDecoderLayer : public Module {
 public:
  LlamaDecoderLayer(const ModelConfig& config, Generator& generator);
  // x [B, T, hidden] -> [B, T, hidden].
  Tensor forward(const Tensor& x, const RotaryEmbedding& rotary, int64_t start_pos,
                 KVCache::Layer* cache) const;

  RMSNorm input_layernorm;
  GroupedQueryAttention self_attn;
  RMSNorm post_attention_layernorm;
  SwiGLU mlp;
};

// The decoder stack without the head: ids -> final normalised hidden states.
class LlamaModel : public Module {
 public:
  LlamaModel(const ModelConfig& config, Generator& generator);
  // ids [B, T] int64 -> [B, T, hidden].
  Tensor forward(const Tensor& ids, int64_t start_pos, KVCache* cache) const;

  Embedding embed_tokens;
  ModuleList<LlamaDecoderLayer> layers;
  RMSNorm norm;

 private:
  RotaryEmbedding rotary_;
};

class Llama : public Module {
  ModelConfig config_;  // first: the members below are built from it

 public:
  // Validates `config`, builds the model in float32 and initialises it as Hugging Face does.
  // `generator` draws the initial weights and the dropout masks; it must outlive the model.
  Llama(const ModelConfig& config, Generator& generator);

  // ids [B, T] int64 at positions start_pos .. start_pos + T - 1 -> logits [B, T, vocab].
  // With `cache` (one built for this model's layer count), start_pos must equal cache->length:
  // the tokens' keys and values are written into it and they attend over the cached prefix.
  // Throws Error for ids outside the vocabulary, positions past max_position_embeddings or
  // past the cache's capacity, and for a cache used with grad mode on (see nn/kv_cache.h).
  Tensor forward(const Tensor& ids, int64_t start_pos = 0, KVCache* cache = nullptr) const;

  const ModelConfig& config() const { return config_; }
  // A cache for this model's layers holding max_length positions (by default
  // max_position_embeddings); its buffers are allocated on the first forward that uses it.
  KVCache make_cache() const { return make_cache(config_.max_position_embeddings); }
  KVCache make_cache(int64_t max_length) const {
    return KVCache(config_.num_hidden_layers, max_length);
  }

  LlamaModel model;
  // Untied head [vocab, hidden]; with tie_word_embeddings the head is model.embed_tokens and
  // there is no lm_head parameter.
  std::optional<Linear> lm_head;
};

}  // namespace bytegrad::nn
