// T-Free (Deiseroth et al. 2024, arXiv 2406.19223): a causal LM without a subword vocabulary.
// A word is the set of its byte trigrams, each trigram activates m hashed rows of a [V, hidden]
// table (tokenizer/ computes the ids), and the word's input vector is the embedding bag of those
// rows; the model predicts the next word's binary pattern over V with an untied multi-label head,
// trained with multilabel_bce_with_logits (autograd/functions.h).
//
// The backbone is Llama's (pre-norm RMSNorm, full multi-head attention, SwiGLU) with the
// original code's adjacent-pair ("complex") rotary embedding. Parameter names follow our Llama
// (model.embed_tokens.weight is the trigram table, lm_head.weight the head), since T-Free has no
// Hugging Face form; config.json carries model_type "tfree" and the tfree_* fields. A checkpoint
// whose tensors keep the original code's names (transformer.embeddings.embedding.weight,
// transformer.layers.N.attention.{query,key,value,dense}, mlp.{dense_in,swiglu,dense_out}, ...)
// loads too.
//
//   trigram_ids [N, m], bag_offsets [B*T + 1] --embed_words--> [B, T, hidden]
//       --hidden_states / hidden_states_packed--> [B, T, hidden] --head--> [B, T, V] logits
#pragma once

#include "nn/causal_lm.h"
#include "nn/config.h"
#include "nn/linear.h"
#include "nn/llama.h"
#include "nn/model_family.h"
#include "nn/module_scope.h"

namespace bytegrad::nn {

class TFree : public CausalLM {
 public:
  // Validates `config` (also its tfree section: population > 0, 0 <= lowercase_overlap <=
  // population, aggregation "sum" or "mean", no tied embeddings), builds the model in float32
  // and initialises it as Llama. `generator` must outlive the model.
  TFree(const ModelConfig& config, Generator& generator);

  std::string model_type() const override { return "tfree"; }
  // Throws Error: T-Free has no token ids; its input is trigram bags (embed_words).
  Tensor embed(const Tensor& ids) const override;
  // The input vectors of batch * tokens words, row-major over [batch, tokens]: word w owns the
  // trigrams bag_offsets[w] .. bag_offsets[w + 1] - 1 (int64 [batch * tokens + 1]), trigram i
  // the rows trigram_ids[i] (int64 [N, population] in [0, vocab_size)). A word's vector is the
  // sum over its trigrams of the sum (or mean) of their rows, divided by the trigram count when
  // tfree_normalize; a word without trigrams (padding) is zero. -> [batch, tokens, hidden].
  // Throws Error when the shapes or ids do not fit.
  Tensor embed_words(const Tensor& trigram_ids, const Tensor& bag_offsets, int64_t batch, int64_t tokens) const;
  // hidden [..., hidden] -> logits [..., vocab_size] of the next word's pattern.
  Tensor head(const Tensor& hidden) const override {
    const ModuleScope scope(this);
    return lm_head.forward(hidden);
  }
  std::vector<std::string> embedding_parameter_names() const override { return {"model.embed_tokens.weight"}; }

  LlamaModel model;  // model.embed_tokens is the [V, hidden] trigram table
  Linear lm_head;    // [V, hidden], untied

 private:
  Tensor decode(const Tensor& inputs_embeds, int64_t start_pos, KVCache* cache) const override;
  Tensor decode_packed(const Tensor& inputs_embeds, const Tensor& position_ids,
                       const Tensor& blocked) const override;
};

// T-Free's registration (nn/model_family.h): "tfree", TFreeForCausalLM, Llama's fields plus the
// tfree_* and loss fields.
ModelFamily tfree_family();

// Parameters of a Llama-shaped model, split into the vocabulary-sized tables (input embedding
// and head) and the rest: T-Free's saving is all in the first.
struct ParameterCounts {
  int64_t embedding_and_head = 0;
  int64_t backbone = 0;  // attention, MLP and norms
  int64_t total() const { return embedding_and_head + backbone; }
};
// A T-Free model of `config` (V = vocab_size, untied head).
ParameterCounts tfree_parameter_counts(const ModelConfig& config);
// A BPE Llama with the same backbone and a vocabulary of `bpe_vocab_size` tokens, with its head
// tied or not as `config` says: the baseline of a T-Free comparison.
ParameterCounts bpe_llama_parameter_counts(const ModelConfig& config, int64_t bpe_vocab_size);
// Two aligned lines comparing both counts, for logs and reports.
std::string parameter_count_report(const ModelConfig& config, int64_t bpe_vocab_size);

}  // namespace bytegrad::nn
