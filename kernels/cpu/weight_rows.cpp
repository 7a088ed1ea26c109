#include "kernels/cpu/weight_rows.h"

#include <immintrin.h>

#include <algorithm>
#include <cmath>
#include <cstring>

#include "base/error.h"
#include "kernels/cpu/float32_rows.h"

namespace bytegrad::kernels::cpu {
namespace {

float bfloat16_to_float(uint16_t bits) {
  const uint32_t widened = uint32_t(bits) << 16;
  float value;
  std::memcpy(&value, &widened, sizeof(value));
  return value;
}

// bf16 row . x: each bfloat16 widened to float32 exactly (its bits shifted up), then an FMA.
float bfloat16_dot(const uint16_t* w, const float* x, int64_t n) {
  int64_t i = 0;
  float sum = 0;
#if defined(__AVX512F__)
  __m512 acc0 = _mm512_setzero_ps(), acc1 = _mm512_setzero_ps();
  for (; i + 32 <= n; i += 32) {
    const __m512i lo = _mm512_cvtepu16_epi32(_mm256_loadu_si256(reinterpret_cast<const __m256i*>(w + i)));
    const __m512i hi = _mm512_cvtepu16_epi32(_mm256_loadu_si256(reinterpret_cast<const __m256i*>(w + i + 16)));
    acc0 = _mm512_fmadd_ps(_mm512_castsi512_ps(_mm512_slli_epi32(lo, 16)), _mm512_loadu_ps(x + i), acc0);
    acc1 = _mm512_fmadd_ps(_mm512_castsi512_ps(_mm512_slli_epi32(hi, 16)), _mm512_loadu_ps(x + i + 16), acc1);
  }
  sum = _mm512_reduce_add_ps(_mm512_add_ps(acc0, acc1));
#endif
  for (; i < n; ++i) sum += bfloat16_to_float(w[i]) * x[i];
  return sum;
}

// Int8Groups row . quantized x: per group, sum q_w * q_x in int32, then scale it.
float int8_groups_dot(const int8_t* w, const float* w_scales, const int16_t* x, const float* x_scales,
                      int64_t n, int64_t group) {
  float sum = 0;
  int64_t g = 0;
#if defined(__AVX512BW__)
  if (group % 32 == 0) {
    __m512 acc = _mm512_setzero_ps();
    for (; g * group < n; ++g) {
      __m512i dot = _mm512_setzero_si512();
      for (int64_t i = g * group; i < (g + 1) * group; i += 32) {
        const __m512i wq = _mm512_cvtepi8_epi16(_mm256_loadu_si256(reinterpret_cast<const __m256i*>(w + i)));
        const __m512i xq = _mm512_loadu_si512(x + i);
        dot = _mm512_add_epi32(dot, _mm512_madd_epi16(wq, xq));  // pairs of int16 products, in int32
      }
      acc = _mm512_fmadd_ps(_mm512_cvtepi32_ps(dot), _mm512_set1_ps(w_scales[g] * x_scales[g]), acc);
    }
    return _mm512_reduce_add_ps(acc);
  }
#endif
  for (; g * group < n; ++g) {
    int32_t dot = 0;
    for (int64_t i = g * group; i < (g + 1) * group; ++i) dot += int32_t(w[i]) * int32_t(x[i]);
    sum += float(dot) * w_scales[g] * x_scales[g];
  }
  return sum;
}

template <typename Q>
void quantize_groups(std::span<const float> x, int64_t group, Q* q, float* scales) {
  const int64_t n = int64_t(x.size());
  for (int64_t g = 0; g * group < n; ++g) {
    float largest = 0;
    for (int64_t i = g * group; i < (g + 1) * group; ++i) largest = std::max(largest, std::fabs(x[size_t(i)]));
    const float scale = largest / 127.0f;
    scales[g] = scale;
    for (int64_t i = g * group; i < (g + 1) * group; ++i)
      q[i] = scale == 0 ? Q(0) : Q(std::nearbyint(x[size_t(i)] / scale));  // halves to even, as torch.round
  }
}

}  // namespace

std::string weight_format_name(WeightFormat format) {
  switch (format) {
    case WeightFormat::Float32: return "float32";
    case WeightFormat::BFloat16: return "bfloat16";
    case WeightFormat::Int8Groups: return "int8";
  }
  return "?";
}

WeightFormat weight_format_from_name(const std::string& name) {
  for (const WeightFormat format : {WeightFormat::Float32, WeightFormat::BFloat16, WeightFormat::Int8Groups})
    if (weight_format_name(format) == name) return format;
  throw Error(concat("weights: '", name, "' is not a weight format (float32, bfloat16 or int8)"));
}

WeightRows WeightRows::from_row(int64_t row, int64_t cols) const {
  WeightRows rows = *this;
  switch (format) {
    case WeightFormat::Float32: rows.values = static_cast<const float*>(values) + row * cols; break;
    case WeightFormat::BFloat16: rows.values = static_cast<const uint16_t*>(values) + row * cols; break;
    case WeightFormat::Int8Groups:
      rows.values = static_cast<const int8_t*>(values) + row * cols;
      rows.scales = scales + row * (cols / group);
      break;
  }
  return rows;
}

void quantize_int8_groups(std::span<const float> x, int64_t group, int8_t* q, float* scales) {
  quantize_groups(x, group, q, scales);
}

void quantize_vector_int8_groups(std::span<const float> x, int64_t group, int16_t* q, float* scales) {
  quantize_groups(x, group, q, scales);
}

void weight_rows_times(const WeightRows& w, int64_t rows, int64_t cols, const PreparedVector& x,
                       float* y, bool accumulate) {
  if (rows <= 0) return;
  if (w.format == WeightFormat::Float32) {
    float32_rows_times(static_cast<const float*>(w.values), rows, cols, x.x, y, accumulate);
    return;
  }
  for (int64_t r = 0; r < rows; ++r) {
    const float dot =
        w.format == WeightFormat::BFloat16
            ? bfloat16_dot(static_cast<const uint16_t*>(w.values) + r * cols, x.x, cols)
            : int8_groups_dot(static_cast<const int8_t*>(w.values) + r * cols, w.scales + r * (cols / w.group),
                              x.quantized, x.scales, cols, w.group);
    y[r] = accumulate ? y[r] + dot : dot;
  }
}

}  // namespace bytegrad::kernels::cpu
