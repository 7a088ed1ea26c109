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
#include "nn/model_family.h"
#include "nn/module_list.h"
#include "nn/module_scope.h"
#include "nn/norm.h"

namespace bytegrad::nn {

// Multi-head causal attention with one fused projection to q, k and v.
class GPT2Attention : public Module {
 public:
  GPT2Attention(const ModelConfig& config, Generator& generator);
  // x [B, T, hidden] -> [B, T, hidden].
  Tensor forward(const Tensor& x, int64_t start_pos, KVCache::Layer* cache) const;
  // As forward over packed rows: each query sees the keys `blocked` [B, T, T] leaves open
  // (nn/document_mask.h) instead of the causal prefix; no cache.
  Tensor forward_packed(const Tensor& x, const Tensor& blocked) const;

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
  // As forward with the attention of GPT2Attention::forward_packed.
  Tensor forward_packed(const Tensor& x, const Tensor& blocked) const;

  LayerNorm ln_1;
  GPT2Attention attn;
  LayerNorm ln_2;
  GeluMLP mlp;

 private:
  Dropout mlp_dropout_;
};

// The decoder stack without the head: token embeddings -> final normalised hidden states
// (the position embeddings are added here, as transformers' GPT2Model adds them to inputs_embeds).
class GPT2Model : public Module {
 public:
  GPT2Model(const ModelConfig& config, Generator& generator);
  // inputs_embeds [B, T, hidden] at positions start_pos.. -> [B, T, hidden].
  Tensor forward(const Tensor& inputs_embeds, int64_t start_pos, KVCache* cache) const;
  // Packed rows: the position embeddings of position_ids [B, T] (restarting at each document)
  // and attention within documents (`blocked` [B, T, T]) -> [B, T, hidden].
  Tensor forward_packed(const Tensor& inputs_embeds, const Tensor& position_ids, const Tensor& blocked) const;

  Embedding wte;  // [vocab, hidden]
  Embedding wpe;  // [max_position_embeddings, hidden]
  ModuleList<GPT2Block> h;
  LayerNorm ln_f;

 private:
  Dropout drop_;
};

class GPT2 : public CausalLM {
 public:
  // Validates `config` (hidden_act "gelu_new", "gelu_pytorch_tanh" or empty for GPT-2's tanh
  // GELU, "gelu" for the exact one), builds the model in float32 and initialises it as Hugging Face
  // does. `generator` draws the initial weights and the dropout masks; it must outlive the model.
  // The head is always tied to transformer.wte, whatever tie_word_embeddings says.
  GPT2(const ModelConfig& config, Generator& generator);

  std::string model_type() const override { return "gpt2"; }
  Tensor embed(const Tensor& ids) const override {
    const ModuleScope scope(this);
    return transformer.wte.forward(ids);
  }
  // The tied head: the transposed token embedding.
  Tensor head(const Tensor& hidden) const override;
  std::vector<std::string> embedding_parameter_names() const override {
    return {"transformer.wte.weight", "transformer.wpe.weight"};
  }

  GPT2Model transformer;

 private:
  Tensor decode(const Tensor& inputs_embeds, int64_t start_pos, KVCache* cache) const override;
  Tensor decode_packed(const Tensor& inputs_embeds, const Tensor& position_ids, const Tensor& blocked) const override;
};

// GPT-2's registration (nn/model_family.h): "gpt2", GPT2LMHeadModel, its config.json fields and
// transformers' weight names (with or without "transformer.", mask buffers and lm_head dropped).
ModelFamily gpt2_family();

}  // namespace bytegrad::nn
