// A weight matrix held in the format a decode step streams (kernels/cpu/weight_rows.h), as
// tensors on the CPU, so that it can be saved, loaded and handed to the kernels as it is:
//   BFloat16    values bfloat16 [rows, cols]
//   Int8Groups  values int8 [rows, cols] and scales float32 [rows, cols / group]:
//               row r's value c is values[r, c] * scales[r, c / group]
// A quantized model directory (io/quantized_weights.h) stores its matrices this way, and the
// decode plan (infer/llama_decode_plan.h) streams them without converting anything.
#pragma once

#include <cstdint>
#include <map>
#include <span>
#include <string>

#include "kernels/cpu/weight_rows.h"
#include "tensor/tensor.h"

namespace bytegrad {

struct QuantizedMatrix {
  kernels::cpu::WeightFormat format = kernels::cpu::WeightFormat::BFloat16;
  Tensor values;       // bfloat16 or int8, [rows, cols], contiguous on the CPU
  Tensor scales;       // float32 [rows, cols / group] for Int8Groups; undefined otherwise
  int64_t group = 0;   // the Int8Groups group size; 0 otherwise

  int64_t rows() const { return values.size(0); }
  int64_t cols() const { return values.size(1); }
  // The matrix as the decode kernels read it (pointers into values and scales).
  kernels::cpu::WeightRows weight_rows() const;
};

// Every matrix of one model in one format, by the parameter names of the model's state dict.
// A Float32 format means none are stored.
struct QuantizedWeights {
  kernels::cpu::WeightFormat format = kernels::cpu::WeightFormat::Float32;
  int64_t group = 0;  // Int8Groups only
  std::map<std::string, QuantizedMatrix> matrices;

  bool empty() const { return format == kernels::cpu::WeightFormat::Float32; }
};

// `weight` (float32 [rows, cols] on the CPU) in `format`: bfloat16 rounded to nearest even,
// or int8 groups of `group` by kernels::cpu::quantize_int8_groups. Throws Error naming `name`
// for another dtype, rank or device, for Float32, and for a group that does not divide cols.
QuantizedMatrix quantize_matrix(const Tensor& weight, kernels::cpu::WeightFormat format, int64_t group,
                                const std::string& name);

// The float32 values the matrix stands for, [rows, cols]: bfloat16 widened exactly, or
// q * scale per group in float32 (what the decode kernels multiply by).
Tensor dequantize(const QuantizedMatrix& matrix);

// The group size int8 groups use for rows of these lengths: `group` halved until it divides
// every one (at least 1), as llama2.c's export picks it. Throws Error for a group below 1.
int64_t fitting_int8_group(int64_t group, std::span<const int64_t> row_lengths);

}  // namespace bytegrad
