// The one shape every causal language model has, whatever its family (Llama, GPT-2, and the
// models to come): token ids become input embeddings, a decoder stack turns input embeddings
// into hidden states, and a head turns hidden states into next-token logits.
//
//   ids [B, T] --embed--> inputs_embeds [B, T, hidden] --hidden_states--> [B, T, hidden]
//       --head--> logits [B, T, vocab]
//
// Splitting forward this way lets a caller replace the token table by anything that produces
// embeddings (Hugging Face's `inputs_embeds`: a soft byte-to-token encoder, T-Free's trigram
// embedding bag) and lets a loss use the hidden states without materialising the logits. The
// trainer, generation, scoring and model directories see only this interface; a model file
// (nn/llama.h, nn/gpt2.h) implements it and registers its family in nn/model_family.h.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "nn/config.h"
#include "nn/kv_cache.h"
#include "nn/module.h"

namespace bytegrad::nn {

class CausalLM : public Module {
 public:
  // The family's Hugging Face model_type ("llama", "gpt2").
  virtual std::string model_type() const = 0;
  const ModelConfig& config() const { return config_; }

  // ids [B, T] int64 -> logits [B, T, vocab], i.e. head(hidden_states(embed(ids))).
  // With `cache` (one from make_cache()), start_pos must equal cache->length: the tokens' keys
  // and values are written into it and they attend over the cached prefix. Throws Error for ids
  // that are not int64 [B, T], ids outside the vocabulary, positions past
  // max_position_embeddings or past the cache's capacity, and for a cache used with grad mode on.
  Tensor forward(const Tensor& ids, int64_t start_pos = 0, KVCache* cache = nullptr) const;
  // As forward, from input embeddings [B, T, hidden] instead of ids.
  Tensor forward_embeds(const Tensor& inputs_embeds, int64_t start_pos = 0,
                        KVCache* cache = nullptr) const;

  // ids [B, T] int64 -> input embeddings [B, T, hidden]: the token table's rows, nothing else
  // (learned positions, as GPT-2's, are added inside hidden_states, as transformers does).
  virtual Tensor embed(const Tensor& ids) const = 0;
  // inputs_embeds [B, T, hidden] at positions start_pos .. start_pos + T - 1 -> the decoder's
  // final normalised hidden states [B, T, hidden]. Checks the positions and the cache (as
  // forward), and advances cache->length by T.
  Tensor hidden_states(const Tensor& inputs_embeds, int64_t start_pos = 0,
                       KVCache* cache = nullptr) const;
  // Packed rows, for pretraining on several documents per row: inputs_embeds [B, T, hidden]
  // with position_ids int64 [B, T] that restart at 0 where each document starts -> final hidden
  // states [B, T, hidden], each document attending causally within itself only, so that its
  // outputs equal those of running it alone (nn/document_mask.h). No cache. Throws Error for
  // bad shapes, positions past max_position_embeddings, or a family without packed support.
  Tensor hidden_states_packed(const Tensor& inputs_embeds, const Tensor& position_ids) const;
  // hidden [..., hidden] -> logits [..., vocab].
  virtual Tensor head(const Tensor& hidden) const = 0;

  // A cache for this model's layers holding max_length positions (by default
  // max_position_embeddings); its buffers are allocated on the first forward that uses it.
  KVCache make_cache() const { return make_cache(config_.max_position_embeddings); }
  KVCache make_cache(int64_t max_length) const { return KVCache(config_.num_hidden_layers, max_length); }

  // Dotted names of the parameters that are lookup tables (token and position embeddings).
  // Optimizers leave them out of weight decay: shrinking a rare token's row only starves it.
  virtual std::vector<std::string> embedding_parameter_names() const = 0;

 protected:
  // Validates `config` (ModelConfig::validate, naming `family` in errors); the derived model's
  // members are built after this, from config().
  CausalLM(const ModelConfig& config, const std::string& family);

  // The family's decoder stack over checked inputs: inputs_embeds [B, T, hidden] -> final
  // normalised hidden states [B, T, hidden]; writes keys and values into `cache` when given
  // (hidden_states advances its length afterwards).
  virtual Tensor decode(const Tensor& inputs_embeds, int64_t start_pos, KVCache* cache) const = 0;
  // The decoder stack over checked packed rows: explicit position_ids [B, T] and the
  // document mask `blocked` [B, T, T]. Families that do not support packing keep this default,
  // which throws Error.
  virtual Tensor decode_packed(const Tensor& inputs_embeds, const Tensor& position_ids,
                               const Tensor& blocked) const;
  // `model`'s decoder stack, for a model that wraps another (SoftEmbeddingLM): C++ lets a derived
  // class call protected members only on its own kind, so it reaches the wrapped model's here.
  static Tensor decode_of(const CausalLM& model, const Tensor& inputs_embeds, int64_t start_pos, KVCache* cache) {
    return model.decode(inputs_embeds, start_pos, cache);
  }
  static Tensor decode_packed_of(const CausalLM& model, const Tensor& inputs_embeds, const Tensor& position_ids,
                                 const Tensor& blocked) {
    return model.decode_packed(inputs_embeds, position_ids, blocked);
  }
  // The family's name for errors ("Llama").
  const std::string& family() const { return family_; }

 private:
  ModelConfig config_;
  std::string family_;  // names the model in errors: "Llama", "GPT2"
};

}  // namespace bytegrad::nn
