// The keys and values of the tokens a model has seen, kept for decoding one token (or chunk)
// at a time without recomputing the prefix.
//
// Each layer's keys and values live in one buffer [B, n_kv_heads, capacity, head_dim], allocated
// on the layer's first write (when batch, dtype and device are known) and never again: a step
// writes its tokens in place at positions start_pos.., and attention reads the filled prefix
// [0, start_pos + T) as a view. Decoding N tokens thus copies each key once, where
// concatenating per step would copy O(N^2).
//
// Inference only: the buffers are written in place and record no graph, so writing keys or
// values that require grad (grad mode on, trainable weights) throws Error; decode under a
// NoGradGuard.
#pragma once

#include <utility>
#include <vector>

#include "tensor/tensor.h"

namespace bytegrad::nn {

struct KVCache {
  struct Layer {
    explicit Layer(int64_t capacity) : capacity(capacity) {}

    // Writes k, v [B, H_kv, T, D] at positions start_pos .. start_pos + T - 1 and returns the
    // keys and values of positions 0 .. start_pos + T - 1 ([B, H_kv, start_pos + T, D] views of
    // the buffers). The first write allocates the buffers; later writes must match their batch,
    // heads, head size, dtype and device. Throws Error naming the lengths when the positions
    // run past the capacity, and when k or v require grad.
    std::pair<Tensor, Tensor> write(const Tensor& k, const Tensor& v, int64_t start_pos);

    int64_t capacity;  // positions each buffer holds
    Tensor keys;       // [B, H_kv, capacity, D], undefined until the first write
    Tensor values;     // [B, H_kv, capacity, D]
  };

  // A cache of `num_layers` layers holding up to `capacity` positions.
  KVCache(int64_t num_layers, int64_t capacity);

  // Throws Error naming `model` and the lengths unless `tokens` more fit after `length`.
  void check_room(const char* model, int64_t tokens) const;

  std::vector<Layer> layers;
  int64_t capacity;
  int64_t length = 0;  // tokens cached; the model advances it once all its layers have written
};

}  // namespace bytegrad::nn
