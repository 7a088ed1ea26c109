// Quantized model directories: the layout of io/model_directory.h (config.json,
// model.safetensors, tokenizer files) with every matrix a Llama's decode step streams (q, k, v, o,
// gate, up, down, the embedding, an untied lm_head) stored in one format of
// tensor/quantized_matrix.h, under its usual name:
//   bfloat16      <name>         BF16 [rows, cols]
//   int8 groups   <name>         I8   [rows, cols]
//                 <name>_scale   F32  [rows, cols / group]   row r's value c = q[r, c] * scale[r, c / group]
// Norm weights stay float32. config.json says which:
//   "quantization_config": {"quant_method": "bytegrad_int8_groups" | "bytegrad_bfloat16", "group_size": G}
// (G is 0 for bfloat16). A directory of the int8 kind is about a quarter of the float32 one, a
// bfloat16 one a half.
#pragma once

#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "io/safetensors.h"
#include "nn/causal_lm.h"
#include "tensor/quantized_matrix.h"

namespace bytegrad::io {

// The format a model directory stores its matrices in: Float32 (and group 0) for a plain one.
struct Quantization {
  kernels::cpu::WeightFormat format = kernels::cpu::WeightFormat::Float32;
  int64_t group = 0;
};

// The quantization config.json declares (`config`, read from `source`): Float32 without a
// "quantization_config". Throws Error naming `source` for a quant_method other than ours and for
// an int8 group_size that is not a positive integer.
Quantization quantization_from_config(const nlohmann::json& config, const std::string& source);

// config.json's "quantization_config" object for `quantization` (not Float32).
nlohmann::json quantization_config_json(const Quantization& quantization);

// The names of the parameters a decode step streams, in `model`'s state dict: every matrix of a
// Llama (the norms are vectors). Throws Error for other model types, which have no decode plan.
std::vector<std::string> streamed_matrix_names(const nn::CausalLM& model);

// Every streamed matrix of `model` in `format` (not Float32), taken from `existing` where it
// holds the matrix in that format and group, so that re-exporting a quantized directory keeps
// its values, and quantized from the model's float32 weights otherwise. Int8 groups are `group`
// values, halved until they divide every row (fitting_int8_group), as generate --weights int8
// picks them, so that both give the same values.
QuantizedWeights quantize_model_weights(const nn::CausalLM& model, kernels::cpu::WeightFormat format,
                                        int64_t group, const QuantizedWeights* existing = nullptr);

// `state` (a model's state dict) as a quantized directory stores it: each quantized matrix's
// values in place of its float32 tensor, and its scales as <name>_scale for int8 groups.
TensorMap quantized_state_dict(TensorMap state, const QuantizedWeights& quantized);

// The inverse, on weights as read from a quantized directory's file `source`: every stored
// matrix (each BF16 tensor for bfloat16; each I8 tensor and its _scale for int8 groups) is taken
// out into the result and, with `dequantize`, replaced in `weights` by its dequantized float32
// values (else removed), its _scale removed. Throws Error naming `source` and the tensor for an
// I8 tensor without a _scale, a _scale without its I8 tensor, a stored matrix that is not 2-D, a
// group_size that does not divide a row, and a _scale whose shape is not [rows, cols / group_size].
QuantizedWeights split_quantized_weights(TensorMap& weights, const Quantization& quantization,
                                         const std::string& source, bool dequantize = true);

// The stored values' own check for NaN and infinities (bfloat16 values, int8 scales): the name
// of the first matrix holding one, or "" when all are finite.
std::string first_nonfinite_matrix(const QuantizedWeights& quantized);

}  // namespace bytegrad::io
