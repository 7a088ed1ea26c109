// Causal self-attention with grouped-query heads (Ainslie et al. 2023) and a KV cache.
//
// Grouped-query attention: n_heads query heads share n_kv_heads key/value heads, query head h
// using key/value head h / (n_heads / n_kv_heads), as Hugging Face's repeat_kv does. n_kv_heads
// == n_heads is ordinary multi-head attention.
#pragma once

#include <utility>
#include <vector>

#include "nn/causal_mask.h"
#include "nn/dropout.h"
#include "nn/kv_cache.h"
#include "nn/linear.h"
#include "nn/module.h"
#include "nn/rotary.h"

namespace bytegrad::nn {

// Scaled dot-product attention over the keys each query may see:
//   softmax(q k^T / sqrt(D), with blocked scores set to -inf) v
// for q [B, H, T, D] and k, v [B, H_kv, S, D], where H is a multiple of H_kv. `blocked` marks
// the keys a query must not see (true = blocked):
//   - undefined: every query sees every key (bidirectional attention, as in an encoder);
//   - bool [T, S]: the same for every sequence (the causal mask);
//   - bool [B, T, S]: per sequence (key padding, document boundaries within a packed row).
// Every query must see at least one key; a fully blocked row comes out NaN, as in PyTorch.
// The attention weights pass through `dropout`. Returns [B, H, T, D]. Throws Error naming the
// shapes when they do not fit.
Tensor attention(const Tensor& q, const Tensor& k, const Tensor& v, const Tensor& blocked,
                 const Dropout& dropout);

// Whether attention over x's dtype with `dropout` on its weights may run as one fused op
// (fused_causal_attention, autograd/functions.h): float32 or float64, and no active dropout,
// which the fused op does not apply.
bool fuses_causal_attention(const Tensor& x, const Dropout& dropout);

// attention() with the causal mask, for q [B, H, T, D] at positions query_start ..
// query_start + T - 1 and k, v [B, H_kv, S, D] at positions 0 .. S - 1: query position p sees
// keys 0..p. The mask comes from `masks` (a module's cache) when given, else is built for this
// call. A sequence attending to itself from position 0 (query_start 0 and S == T) runs as
// fused_causal_attention, which skips the masked half, when fuses_causal_attention allows;
// other calls run attention() with the mask.
Tensor causal_attention(const Tensor& q, const Tensor& k, const Tensor& v, int64_t query_start,
                        const Dropout& dropout, const CausalMaskCache* masks = nullptr);

// [B, T, heads * D] -> [B, heads, T, D], and back.
Tensor split_heads(const Tensor& x, int64_t heads);
Tensor merge_heads(const Tensor& x);

struct AttentionOptions {
  int64_t hidden_size = 0;
  int64_t num_heads = 0;
  int64_t num_kv_heads = 0;  // divides num_heads
  int64_t head_dim = 0;      // usually hidden_size / num_heads
  bool bias = false;         // on the q/k/v/o projections
  double dropout = 0.0;      // on the attention weights
};

// Llama's attention: separate q_proj, k_proj, v_proj, o_proj (torch layout), RoPE on q and k.
class GroupedQueryAttention : public Module {
 public:
  // `generator` initialises the projections and drives dropout (it must outlive the module).
  // Throws Error if num_kv_heads does not divide num_heads.
  GroupedQueryAttention(const AttentionOptions& options, Generator& generator);

  // x [B, T, hidden] at positions start_pos.. -> [B, T, hidden]. With `cache`, writes this
  // chunk's keys and values into it and attends over its prefix too.
  Tensor forward(const Tensor& x, const RotaryEmbedding& rotary, int64_t start_pos,
                 KVCache::Layer* cache) const;
  // As forward, with an explicit `blocked` mask (as attention() takes it, over the cached
  // prefix and this chunk's keys) instead of the causal one, and `rotary` optional: nullptr
  // rotates nothing, for models whose positions are learned and added to the input, or absent.
  Tensor forward_masked(const Tensor& x, const Tensor& blocked, const RotaryEmbedding* rotary,
                        int64_t start_pos = 0, KVCache::Layer* cache = nullptr) const;
  // Packed rows without a cache: x [B, T, hidden] with explicit position_ids int64 [B, T] for
  // the rotary embedding and `blocked` [B, T, T] (nn/document_mask.h) -> [B, T, hidden].
  Tensor forward_packed(const Tensor& x, const Tensor& blocked, const RotaryEmbedding& rotary,
                        const Tensor& position_ids) const;

  Linear q_proj, k_proj, v_proj, o_proj;

 private:
  AttentionOptions options_;
  Dropout attention_dropout_;
  CausalMaskCache masks_;
};

}  // namespace bytegrad::nn
