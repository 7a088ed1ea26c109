// The causal language models the trainer can build by name ("llama", "gpt2"), behind one
// handle: forward(ids) -> logits, a KV cache, and the Module for parameters and train/eval.
#pragma once

#include <memory>
#include <string>
#include <variant>

#include "nn/gpt2.h"
#include "nn/llama.h"

namespace bytegrad::nn {

class LanguageModel {
 public:
  // Builds `model_type` ("llama" or "gpt2", Hugging Face's model_type values) from `config`,
  // drawing its initial weights (and later its dropout masks) from `generator`, which must
  // outlive the model. Throws Error naming the model type when it is neither.
  LanguageModel(const std::string& model_type, const ModelConfig& config, Generator& generator);

  // ids [B, T] int64 -> logits [B, T, vocab], as the model's forward.
  Tensor forward(const Tensor& ids, int64_t start_pos = 0, KVCache* cache = nullptr) const;
  // A cache holding max_position_embeddings positions, or max_length.
  KVCache make_cache() const;
  KVCache make_cache(int64_t max_length) const;
  const ModelConfig& config() const;
  Module& module();
  const Module& module() const;

 private:
  std::variant<std::unique_ptr<Llama>, std::unique_ptr<GPT2>> model_;
};

}  // namespace bytegrad::nn
