// GPT-2 (Radford et al. 2019): a decoder-only transformer with learned positions, pre-LayerNorm,
// multi-head attention and a GELU MLP, and its head tied to the token embedding. Parameter names
// and layouts are Hugging Face GPT2LMHeadModel's (transformer.wte, transformer.wpe,
// transformer.h.N.{ln_1,attn.c_attn,attn.c_proj,ln_2,mlp.c_fc,mlp.c_proj}, transformer.ln_f),
// with the Conv1D weights stored [in, out], so its checkpoints load by name.
#pragma once

#include "nn/attention.h"
#include "nn/causal_lm.h"
#include "nn/config.h"
#include "nn/dropout.h"
#include "nn/embedding.h"
#include "nn/linear.h"
#include "nn/mlp.h"
#include "nn/module_list.h"
#include "nn/norm.h"

namespace bytegrad::nn {

// Multi-head causal attention with one fused projection to q, k and v.
class GPT2Attention : public Module {
 public:
  GPT2Attention(const ModelConfig& config, Generator& generator);
  // x [B, T, hidden] -> [B, T, hidden].
  Tensor forward(const Tensor& x, int64_t start_pos, KVCache::Layer* cache) const;

  Linear c_attn;  // [hidden, 3 * hidden] + bias: q, k, v side by side
  Linear c_proj;  // [hidden, hidden] + bias

 private:
  int64_t heads_;
  Dropout attn_dropout_;
  Dropout resid_dropout_;
  CausalMaskCache masks_;
};

class GPT2Block : public Module {
 public:
  GPT2Block(const ModelConfig& config, Generator& generator);
  // x [B, T, hidden] -> [B, T, hidden].
  Tensor forward(const Tensor& x, int64_t start_pos, KVCache::Layer* cache) const;

  LayerNorm ln_1;
  GPT2Attention attn;
  LayerNorm ln_2;
  GeluMLP mlp;

 private:
  Dropout mlp_dropout_;
};

// The decoder stack without the head: ids -> final normalised hidden states.
class GPT2Model : public Module {
 public:
  GPT2Model(const ModelConfig& config, Generator& generator);
  // ids [B, T] int64 -> [B, T, hidden].
  Tensor forward(const Tensor& ids, int64_t start_pos, KVCache* cache) const;

  Embedding wte;  // [vocab, hidden]
  Embedding wpe;  // [max_position_embeddings, hidden]
  ModuleList<GPT2Block> h;
  LayerNorm ln_f;

 private:
  Dropout drop_;
};

class GPT2 : public Module {
  ModelConfig config_;  // first: the members below are built from it

 public:
  // Validates `config` (hidden_act "gelu_new", "gelu_pytorch_tanh" or empty for GPT-2's tanh
  // GELU, "gelu" for the exact one), builds the model in float32 and initialises it as Hugging Face
  // does. `generator` draws the initial weights and the dropout masks; it must outlive the model.
  // The head is always tied to transformer.wte, whatever tie_word_embeddings says.
  GPT2(const ModelConfig& config, Generator& generator);

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

  GPT2Model transformer;
};

}  // namespace bytegrad::nn
