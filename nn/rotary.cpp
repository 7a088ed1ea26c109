#include "nn/rotary.h"

#include <cmath>
#include <vector>

#include "autograd/operators.h"
#include "tensor/creation.h"
#include "tensor/ops.h"
#include "tensor/views.h"

namespace bytegrad::nn {
namespace {

Tensor rotate_half(const Tensor& x) {
  const int64_t half = x.size(-1) / 2;
  return cat({neg(narrow(x, -1, half, half)), narrow(x, -1, 0, half)}, -1);
}

// (x[2i], x[2i+1]) -> (-x[2i+1], x[2i]): multiplication by i of each complex pair.
Tensor rotate_pairs(const Tensor& x) {
  Shape pairs = x.shape();
  pairs.back() /= 2;
  pairs.push_back(2);
  const Tensor paired = reshape(x, pairs);
  return reshape(cat({neg(narrow(paired, -1, 1, 1)), narrow(paired, -1, 0, 1)}, -1), x.shape());
}

}  // namespace

RotaryEmbedding::RotaryEmbedding(int64_t head_dim, int64_t max_positions, double theta,
                                 RotaryPairing pairing)
    : head_dim_(head_dim), pairing_(pairing) {
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
      // Frequency i serves coordinates i and i + D/2 (half-split) or 2i and 2i + 1 (interleaved).
      const int64_t frequency = pairing == RotaryPairing::HalfSplit ? d % half : d / 2;
      const double inverse_frequency = std::pow(theta, -2.0 * double(frequency) / double(head_dim));
      const double angle = double(position) * inverse_frequency;
      cos_values.push_back(std::cos(angle));
      sin_values.push_back(std::sin(angle));
    }
  host_ = {kCPU, kFloat32, from_vector(cos_values, {max_positions, head_dim}, {kFloat32, kCPU}),
           from_vector(sin_values, {max_positions, head_dim}, {kFloat32, kCPU})};
}

RotaryEmbedding::Tables RotaryEmbedding::tables_for(Device device, DType dtype) const {
  if (device == host_.device && dtype == host_.dtype) return host_;
  std::lock_guard lock(converted_mutex_);
  for (const Tables& tables : converted_)
    if (tables.device == device && tables.dtype == dtype) return tables;
  const auto convert = [&](const Tensor& table) { return ops::to(table.to(device), dtype); };
  converted_.push_back({device, dtype, convert(host_.cos), convert(host_.sin)});
  return converted_.back();
}

Tensor RotaryEmbedding::apply(const Tensor& x, int64_t start_pos) const {
  BYTEGRAD_CHECK(x.dim() == 4 && x.size(-1) == head_dim_, "RotaryEmbedding: input ",
                 shape_str(x.shape()), " must be [batch, heads, tokens, ", head_dim_, "]");
  const int64_t tokens = x.size(2);
  const int64_t max_positions = host_.cos.size(0);
  BYTEGRAD_CHECK(start_pos >= 0 && start_pos + tokens <= max_positions,
                 "RotaryEmbedding: positions ", start_pos, "..", start_pos + tokens - 1,
                 " run past the table of ", max_positions, " positions");
  // [T, D] rows for these positions, broadcast over batch and heads.
  const Tables tables = tables_for(x.device(), x.dtype());
  const Tensor cos = narrow(tables.cos, 0, start_pos, tokens);
  const Tensor sin = narrow(tables.sin, 0, start_pos, tokens);
  return rotate(x, cos, sin);
}

Tensor RotaryEmbedding::apply(const Tensor& x, const Tensor& position_ids) const {
  BYTEGRAD_CHECK(x.dim() == 4 && x.size(-1) == head_dim_, "RotaryEmbedding: input ",
                 shape_str(x.shape()), " must be [batch, heads, tokens, ", head_dim_, "]");
  BYTEGRAD_CHECK(position_ids.dim() == 2 && position_ids.dtype() == kInt64 &&
                     position_ids.size(0) == x.size(0) && position_ids.size(1) == x.size(2),
                 "RotaryEmbedding: position_ids ", shape_str(position_ids.shape()), " (", position_ids.dtype(),
                 ") must be int64 [", x.size(0), ", ", x.size(2), "] for input ", shape_str(x.shape()));
  ops::check_ids_below("RotaryEmbedding", "position_ids", position_ids, host_.cos.size(0));
  // [B, 1, T, D] rows gathered per position, broadcast over heads.
  const Tables tables = tables_for(x.device(), x.dtype());
  const Tensor flat = ops::reshape(position_ids.to(x.device()), {-1});
  const Shape rows{x.size(0), 1, x.size(2), head_dim_};
  const Tensor cos = ops::reshape(ops::index_select(tables.cos, 0, flat), rows);
  const Tensor sin = ops::reshape(ops::index_select(tables.sin, 0, flat), rows);
  return rotate(x, cos, sin);
}

Tensor RotaryEmbedding::rotate(const Tensor& x, const Tensor& cos, const Tensor& sin) const {
  return x * cos + (pairing_ == RotaryPairing::HalfSplit ? rotate_half(x) : rotate_pairs(x)) * sin;
}

}  // namespace bytegrad::nn
