// Weight matrices as a decode step streams them, in one of three formats. A decoded token reads
// every weight once, so its speed is the memory bandwidth over the bytes per weight:
//   Float32     4 bytes
//   BFloat16    2 bytes: float32's top half (8-bit exponent, 7-bit mantissa), widened exactly
//   Int8Groups  1 byte + a float32 scale per group of `group` (32 or 64) consecutive values of
//               a row: value = q * scale with q in [-127, 127] and scale = max |value| / 127,
//               the Q8_0 layout of llama.cpp and llama2.c's runq.c.
// An Int8Groups product quantizes x the same way (per group) and sums q_w * q_x in integers
// within each group, as runq.c does, then scales each group's sum by scale_w * scale_x.
#pragma once

#include <cstdint>
#include <span>
#include <string>

namespace bytegrad::kernels::cpu {

enum class WeightFormat { Float32, BFloat16, Int8Groups };

// "float32", "bfloat16" or "int8" (the CLI's names), and back; the parser throws Error naming
// the valid names.
std::string weight_format_name(WeightFormat format);
WeightFormat weight_format_from_name(const std::string& name);

// A row-major matrix [rows, cols] in `format`. For Int8Groups cols must be a multiple of group,
// and scales holds rows * cols / group values, row by row.
struct WeightRows {
  WeightFormat format = WeightFormat::Float32;
  const void* values = nullptr;  // float, uint16_t bfloat16 bits, or int8_t
  const float* scales = nullptr;
  int64_t group = 0;

  // The same matrix from row `row` on.
  WeightRows from_row(int64_t row, int64_t cols) const;
};

// x [cols] prepared for products with matrices of one format: for Int8Groups, quantized per
// group (values widened to int16 for the multiply-adds, one scale per group); otherwise x itself.
struct PreparedVector {
  const float* x = nullptr;
  const int16_t* quantized = nullptr;
  const float* scales = nullptr;
};

// q[i] = round(x[i] / s) (halves to even) with s = max |x| / 127 over each group of `group` values (s = 0 and
// q = 0 for an all-zero group), scales[g] = s. n must be a multiple of group.
void quantize_int8_groups(std::span<const float> x, int64_t group, int8_t* q, float* scales);

// The same for a vector about to multiply Int8Groups weights, its values widened to int16.
void quantize_vector_int8_groups(std::span<const float> x, int64_t group, int16_t* q, float* scales);

// y[i] = w[i] . x for rows i in [0, rows), or y[i] += with accumulate.
void weight_rows_times(const WeightRows& w, int64_t rows, int64_t cols, const PreparedVector& x,
                       float* y, bool accumulate);

}  // namespace bytegrad::kernels::cpu
