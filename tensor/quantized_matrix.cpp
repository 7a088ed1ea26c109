#include "tensor/quantized_matrix.h"

#include <algorithm>

#include "base/error.h"
#include "base/half.h"
#include "tensor/creation.h"
#include "tensor/views.h"

namespace bytegrad {

using kernels::cpu::WeightFormat;

kernels::cpu::WeightRows QuantizedMatrix::weight_rows() const {
  if (format == WeightFormat::Int8Groups) return {format, values.data<int8_t>(), scales.data<float>(), group};
  return {format, values.data_ptr(), nullptr, 0};
}

QuantizedMatrix quantize_matrix(const Tensor& weight, WeightFormat format, int64_t group, const std::string& name) {
  BYTEGRAD_CHECK(weight.dtype() == kFloat32 && weight.dim() == 2 && weight.device() == kCPU, "quantize_matrix: ",
                 name, " must be a float32 matrix on the CPU, got ", weight.dtype(), " of shape ",
                 shape_str(weight.shape()), " on ", weight.device());
  BYTEGRAD_CHECK(format != WeightFormat::Float32, "quantize_matrix: ", name, ": float32 is not a quantized format");
  const Tensor dense = ops::contiguous(weight);
  const float* source = dense.data<float>();
  const int64_t rows = weight.size(0), cols = weight.size(1);
  const size_t n = size_t(rows * cols);
  QuantizedMatrix matrix;
  matrix.format = format;
  if (format == WeightFormat::BFloat16) {
    matrix.values = empty({rows, cols}, {kBFloat16, kCPU});
    auto* bits = static_cast<uint16_t*>(matrix.values.data_ptr());
    for (size_t i = 0; i < n; ++i) bits[i] = BFloat16::round_to_bfloat16(source[i]);
    return matrix;
  }
  BYTEGRAD_CHECK(group > 0 && cols % group == 0, "quantize_matrix: ", name, ": int8 groups of ", group,
                 " do not divide its rows of ", cols);
  matrix.group = group;
  matrix.values = empty({rows, cols}, {kInt8, kCPU});
  matrix.scales = empty({rows, cols / group}, {kFloat32, kCPU});
  kernels::cpu::quantize_int8_groups({source, n}, group, matrix.values.data<int8_t>(), matrix.scales.data<float>());
  return matrix;
}

Tensor dequantize(const QuantizedMatrix& matrix) {
  Tensor out = empty({matrix.rows(), matrix.cols()}, {kFloat32, kCPU});
  float* values = out.data<float>();
  const int64_t n = out.numel();
  if (matrix.format == WeightFormat::BFloat16) {
    const BFloat16* bits = matrix.values.data<BFloat16>();
    for (int64_t i = 0; i < n; ++i) values[i] = float(bits[i]);
  } else {
    const int8_t* q = matrix.values.data<int8_t>();
    const float* scales = matrix.scales.data<float>();
    for (int64_t i = 0; i < n; ++i) values[i] = float(q[i]) * scales[i / matrix.group];
  }
  return out;
}

int64_t fitting_int8_group(int64_t group, std::span<const int64_t> row_lengths) {
  BYTEGRAD_CHECK(group > 0, "int8 groups: the group size must be positive, got ", group);
  while (group > 1 && std::any_of(row_lengths.begin(), row_lengths.end(), [&](int64_t n) { return n % group != 0; }))
    group /= 2;
  return group;
}

}  // namespace bytegrad
