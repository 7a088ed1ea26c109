// Pretrained models in Hugging Face's directory layout, the form transformers' save_pretrained
// writes and from_pretrained reads:
//   config.json        the hyper-parameters by Hugging Face's names, "model_type" ("llama" |
//                      "gpt2") and "architectures" (["LlamaForCausalLM"] | ["GPT2LMHeadModel"])
//   model.safetensors  the weights by transformers' names (or model.safetensors.zst, or shards
//                      listed in model.safetensors.index.json; io/model_weights.h)
//   tokenizer.json     with tokenizer_config.json, or a SentencePiece tokenizer.model (optional)
// A quantized directory stores a Llama's matrices as bfloat16 or int8 groups and says so in
// config.json's quantization_config (io/quantized_weights.h).
//
//   PretrainedModel pretrained = load_pretrained_model("runs/fortunes-llama/model");
//   Tensor logits = pretrained.model->forward(ids);
//   save_pretrained_model("out", *pretrained.model, &*pretrained.tokenizer);
#pragma once

#include <filesystem>
#include <memory>
#include <optional>
#include <string>

#include <nlohmann/json.hpp>

#include "nn/config.h"
#include "nn/causal_lm.h"
#include "nn/model_family.h"
#include "tensor/generator.h"
#include "tokenizer/tokenizer.h"
#include "io/quantized_weights.h"
#include "io/safetensors.h"

namespace bytegrad::io {

struct PretrainedModel {
  std::unique_ptr<Generator> generator;           // outlives model (drives dropout)
  std::unique_ptr<nn::CausalLM> model;            // weights loaded; model->model_type(), model->config()
  std::optional<tokenizer::Tokenizer> tokenizer;  // when the directory has tokenizer.json / tokenizer.model
  // A quantized directory's matrices as stored (the model's float32 parameters hold their
  // dequantized values), for the decode plan to stream as they are; empty() for a plain one.
  QuantizedWeights quantized;
};

// How load_pretrained_model holds a quantized directory's matrices.
struct LoadOptions {
  // With false, the float32 parameters of the stored matrices are released (tensor/storage.h)
  // as soon as the model is built and never filled: only a decode plan streaming the stored
  // matrices (generate in the directory's format) may run the model, and anything else reaching
  // them (forward, score, to(device)) throws, until restore_float32_matrices. A quarter or a
  // half of the float32 model is then all the matrices take. Nothing changes for a plain directory.
  bool float32_matrices = true;
};

// Reads a model directory. The model type comes from config.json's "model_type" (or its
// "architectures"); the weights must match the model's parameters by name and shape (a
// checkpoint's extra copy of a tied lm_head, GPT-2's attention-mask buffers and GPT-2 names
// without the "transformer." prefix are accepted, as transformers accepts them). Throws Error
// naming the directory or file for a missing config or weights, an unknown model type, and
// every missing, unexpected or mis-shaped tensor. A quantized directory's errors
// (split_quantized_weights, quantization_from_config) name its file and tensor, and so does a
// streamed matrix it stores in float32.
PretrainedModel load_pretrained_model(const std::filesystem::path& directory, const LoadOptions& options = {});

// Gives the released float32 parameters of a model loaded with float32_matrices false their
// dequantized values again (nothing for those still held).
void restore_float32_matrices(PretrainedModel& pretrained);

// Writes `model` to `directory` (created if needed): config.json, model.safetensors and, when
// `tokenizer` is given, tokenizer.json + tokenizer_config.json (io/tokenizer_export.h, which
// throws for tokenizers other than byte-level BPE). Every file is written atomically. With
// `quantized` (not empty()), its matrices are stored in place of the model's float32 ones and
// config.json says how (io/quantized_weights.h).
void save_pretrained_model(const std::filesystem::path& directory, const nn::CausalLM& model,
                           const tokenizer::Tokenizer* tokenizer, const QuantizedWeights* quantized = nullptr);

// config.json for `model` as transformers writes it for its family (nn/model_family.h), every
// default spelled out, torch_dtype float32 (bfloat16 for bfloat16 matrices); with the
// tokenizer's BOS/EOS ids when given, and the quantization_config of `quantized` when given.
nlohmann::json hf_config_json(const nn::CausalLM& model, const tokenizer::Tokenizer* tokenizer = nullptr,
                              const QuantizedWeights* quantized = nullptr);

// Weights as a checkpoint stores them -> weights as `family`'s model names them (its
// parameter_name: GPT-2's bare names get "transformer.", mask buffers and a tied model's
// lm_head.weight are dropped).
TensorMap fit_hf_weights(TensorMap weights, const nn::ModelFamily& family, const nn::ModelConfig& config);

}  // namespace bytegrad::io
