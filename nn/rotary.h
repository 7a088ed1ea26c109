// Rotary position embedding (RoPE, Su et al. 2021), in Hugging Face Llama's convention.
//
// Each head vector of size D is split into halves x1 = x[:D/2], x2 = x[D/2:], and the pair
// (x1[i], x2[i]) is rotated by the angle position * theta^(-2i/D):
//   rope(x) = x * cos + rotate_half(x) * sin,   rotate_half(x) = cat(-x2, x1),
// with cos/sin of size D holding each angle twice (once per half). Meta's original Llama code
// (and T-Free's) rotates interleaved pairs (x[2i], x[2i+1]) by the same angles instead;
// Hugging Face checkpoints permute the rows of q_proj/k_proj so that the half-split form gives
// the same result. Both are offered: HalfSplit, so that those checkpoints load unchanged, and
// Interleaved, for models trained with the adjacent-pair ("complex") form.
#pragma once

#include <mutex>
#include <vector>

#include "tensor/tensor.h"

namespace bytegrad::nn {

// Which coordinates of a head vector form the rotated pairs.
enum class RotaryPairing {
  HalfSplit,    // (x[i], x[i + D/2]): Hugging Face's rotate_half
  Interleaved,  // (x[2i], x[2i + 1]): Meta's and T-Free's complex multiplication
};

class RotaryEmbedding {
 public:
  // Tables for positions [0, max_positions). head_dim must be even.
  RotaryEmbedding(int64_t head_dim, int64_t max_positions, double theta = 10000.0,
                  RotaryPairing pairing = RotaryPairing::HalfSplit);

  // x [B, H, T, D] at positions start_pos .. start_pos + T - 1 -> rotated x, same shape and
  // dtype, computed on x's device. Throws Error if D is not head_dim or the positions run past
  // max_positions. Safe to call from several threads.
  Tensor apply(const Tensor& x, int64_t start_pos) const;
  // x [B, H, T, D] with explicit positions: position_ids int64 [B, T] (packed rows restart at 0
  // for each document). Throws Error naming the shapes, or a position outside the table.
  Tensor apply(const Tensor& x, const Tensor& position_ids) const;
  RotaryPairing pairing() const { return pairing_; }

 private:
  // The cos/sin tables on one device in one dtype, made on first use there and kept, so that
  // every layer's every call reads them in place instead of converting them again.
  struct Tables {
    Device device;
    DType dtype;
    Tensor cos, sin;  // [max_positions, head_dim]
  };
  Tables tables_for(Device device, DType dtype) const;

  Tensor rotate(const Tensor& x, const Tensor& cos, const Tensor& sin) const;

  int64_t head_dim_;
  RotaryPairing pairing_;
  Tables host_;  // float32 on the CPU, computed in float64
  mutable std::mutex converted_mutex_;
  mutable std::vector<Tables> converted_;
};

}  // namespace bytegrad::nn
