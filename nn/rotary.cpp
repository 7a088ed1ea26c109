#include "nn/rotary.h"

#include <cmath>
#include <vector>

#include "autograd/operators.h"
#include "tensor/creation.h"

namespace bytegrad::nn {
namespace {

Tensor rotate_half(const Tensor& x) {
  const int64_t half = x.size(-1) / 2;
  return cat({neg(narrow(x, -1, half, half)), narrow(x, -1, 0, half)}, -1);
}

}  // namespace

RotaryEmbedding::RotaryEmbedding(int64_t head_dim, int64_t max_positions, double theta)
    : head_dim_(head_dim) {
  BYTEGRAD_CHECK(head_dim > 0 && head_dim % 2 == 0, "RotaryEmbedding: head_dim ", head_dim,
                 " must be positive and even");
  BYTEGRAD_CHECK(max_positions > 0, "RotaryEmbedding: max_positions ", max_positions,
                 " must be positive");
  const int64_t half = head_dim / 2;
  std::vector<double> cos_values, sin_values;
  cos_values.reserve(size_t(max_positions * head_dim));
  sin_values.reserve(size_t(max_positions * head_dim));
  for (int64_t position = 0; position < max_positions; ++position)
    for (int64_t d = 0; d < head_dim; ++d) {
      const double inverse_frequency = std::pow(theta, -2.0 * double(d % half) / double(head_dim));
      const double angle = double(position) * inverse_frequency;
      cos_values.push_back(std::cos(angle));
      sin_values.push_back(std::sin(angle));
    }
  cos_ = from_vector(cos_values, {max_positions, head_dim}, {kFloat32, kCPU});
  sin_ = from_vector(sin_values, {max_positions, head_dim}, {kFloat32, kCPU});
}

Tensor RotaryEmbedding::apply(const Tensor& x, int64_t start_pos) const {
  BYTEGRAD_CHECK(x.dim() == 4 && x.size(-1) == head_dim_, "RotaryEmbedding: input ",
                 shape_str(x.shape()), " must be [batch, heads, tokens, ", head_dim_, "]");
  const int64_t tokens = x.size(2);
  BYTEGRAD_CHECK(start_pos >= 0 && start_pos + tokens <= cos_.size(0),
                 "RotaryEmbedding: positions ", start_pos, "..", start_pos + tokens - 1,
                 " run past the table of ", cos_.size(0), " positions");
  // [T, D] rows for these positions, broadcast over batch and heads.
  const Tensor cos = to(to(narrow(cos_, 0, start_pos, tokens), x.device()), x.dtype());
  const Tensor sin = to(to(narrow(sin_, 0, start_pos, tokens), x.device()), x.dtype());
  return x * cos + rotate_half(x) * sin;
}

}  // namespace bytegrad::nn
