#include "nn/attention.h"

#include <cmath>
#include <limits>

#include "autograd/operators.h"
#include "nn/module_scope.h"
#include "nn/precision.h"
#include "tensor/creation.h"

namespace bytegrad::nn {

Tensor attention(const Tensor& q, const Tensor& k, const Tensor& v, const Tensor& blocked,
                 const Dropout& dropout) {
  BYTEGRAD_CHECK(q.dim() == 4 && k.dim() == 4 && k.shape() == v.shape() &&
                     q.size(0) == k.size(0) && q.size(3) == k.size(3) &&
                     k.size(1) > 0 && q.size(1) % k.size(1) == 0,
                 "attention: q ", shape_str(q.shape()), ", k ", shape_str(k.shape()),
                 ", v ", shape_str(v.shape()),
                 " must be [B, H, T, D], [B, H_kv, S, D] and [B, H_kv, S, D] with H_kv dividing H");
  const int64_t batch = q.size(0), heads = q.size(1), tokens = q.size(2), dim = q.size(3);
  const int64_t kv_heads = k.size(1), keys = k.size(2), group = heads / kv_heads;
  // Grouping the query heads by the key/value head they share, [B, H_kv, group, T, D] against
  // [B, H_kv, 1, S, D], lets matmul broadcast each key/value head over its group instead of
  // copying it `group` times.
  const Tensor grouped_q = reshape(q, {batch, kv_heads, group, tokens, dim});
  const Tensor shared_k = unsqueeze(k, 2), shared_v = unsqueeze(v, 2);
  const Tensor scores =
      matmul(grouped_q, transpose(shared_k, -2, -1)) / std::sqrt(double(dim));  // [B,H_kv,g,T,S]
  Tensor visible = upcast(scores);
  if (blocked.defined()) {
    const bool shared = blocked.dim() == 2, per_sequence = blocked.dim() == 3;
    BYTEGRAD_CHECK(blocked.dtype() == DType::Bool &&
                       (shared || (per_sequence && blocked.size(0) == batch)) &&
                       blocked.size(-2) == tokens && blocked.size(-1) == keys,
                   "attention: mask ", shape_str(blocked.shape()), " ", dtype_name(blocked.dtype()),
                   " must be bool [T, S] or [B, T, S] = [", tokens, ", ", keys, "] or [", batch,
                   ", ", tokens, ", ", keys, "]");
    // [B, T, S] -> [B, 1, 1, T, S] so that it broadcasts over the head groups; [T, S] already does.
    const Tensor mask = shared ? blocked : reshape(blocked, {batch, 1, 1, tokens, keys});
    visible = masked_fill(visible, mask, -std::numeric_limits<double>::infinity());
  }
  const Tensor weights = dropout.forward(to(softmax(visible, -1), q.dtype()));
  const Tensor out = matmul(weights, shared_v);  // [B, H_kv, g, T, D]
  return reshape(out, {batch, heads, tokens, dim});
}

bool fuses_causal_attention(const Tensor& x, const Dropout& dropout) {
  return (x.dtype() == kFloat32 || x.dtype() == kFloat64) && dropout.is_identity();
}

Tensor causal_attention(const Tensor& q, const Tensor& k, const Tensor& v, int64_t query_start,
                        const Dropout& dropout, const CausalMaskCache* masks) {
  BYTEGRAD_CHECK(q.dim() == 4 && k.dim() == 4 && query_start + q.size(2) <= k.size(2),
                 "causal_attention: queries ", shape_str(q.shape()), " at positions ",
                 query_start, ".. need their keys, but keys are ", shape_str(k.shape()));
  const int64_t tokens = q.size(2), keys = k.size(2);
  // A whole sequence attending to itself (training, scoring, a prefill from position 0) takes
  // the fused op, which skips the masked half; queries after a cached prefix (decoding) keep the
  // composed form below.
  if (query_start == 0 && tokens == keys && k.dtype() == q.dtype() && v.dtype() == q.dtype() &&
      fuses_causal_attention(q, dropout))
    return fused_causal_attention(q, k, v);
  // Query i sits at position query_start + i and must not see keys after it; the mask is
  // undefined when no query has a key in its future (a decode step), so nothing is masked.
  const Tensor future = masks ? masks->get(query_start, tokens, keys, q.device())
                              : causal_mask(query_start, tokens, keys, q.device());  // [T, S]
  return attention(q, k, v, future, dropout);
}

Tensor split_heads(const Tensor& x, int64_t heads) {
  BYTEGRAD_CHECK(x.dim() == 3 && x.size(2) % heads == 0, "split_heads: input ",
                 shape_str(x.shape()), " must be [B, T, heads * head_dim] with ", heads, " heads");
  return transpose(reshape(x, {x.size(0), x.size(1), heads, x.size(2) / heads}), 1, 2);
}

Tensor merge_heads(const Tensor& x) {
  BYTEGRAD_CHECK(x.dim() == 4, "merge_heads: input ", shape_str(x.shape()),
                 " must be [B, heads, T, head_dim]");
  return reshape(transpose(x, 1, 2), {x.size(0), x.size(2), x.size(1) * x.size(3)});
}

namespace {

const AttentionOptions& checked(const AttentionOptions& options) {
  BYTEGRAD_CHECK(options.num_heads > 0 && options.num_kv_heads > 0 &&
                     options.num_heads % options.num_kv_heads == 0 && options.head_dim > 0,
                 "GroupedQueryAttention: ", options.num_kv_heads,
                 " key/value heads must divide ", options.num_heads,
                 " query heads, and head_dim (", options.head_dim, ") must be positive");
  return options;
}

}  // namespace

GroupedQueryAttention::GroupedQueryAttention(const AttentionOptions& options, Generator& generator)
    : q_proj(options.hidden_size, checked(options).num_heads * options.head_dim, options.bias,
             generator),
      k_proj(options.hidden_size, options.num_kv_heads * options.head_dim, options.bias, generator),
      v_proj(options.hidden_size, options.num_kv_heads * options.head_dim, options.bias, generator),
      o_proj(options.num_heads * options.head_dim, options.hidden_size, options.bias, generator),
      options_(options),
      attention_dropout_(options.dropout, generator) {
  register_module("q_proj", &q_proj);
  register_module("k_proj", &k_proj);
  register_module("v_proj", &v_proj);
  register_module("o_proj", &o_proj);
  register_module("attention_dropout", &attention_dropout_);
}

Tensor GroupedQueryAttention::forward(const Tensor& x, const RotaryEmbedding& rotary,
                                      int64_t start_pos, KVCache::Layer* cache) const {
  const ModuleScope scope(this);
  const Tensor q = rotary.apply(split_heads(q_proj.forward(x), options_.num_heads), start_pos);
  const Tensor k = rotary.apply(split_heads(k_proj.forward(x), options_.num_kv_heads), start_pos);
  const Tensor v = split_heads(v_proj.forward(x), options_.num_kv_heads);
  // [B, H_kv, start_pos + T, D] with a cache, else this chunk's own [B, H_kv, T, D].
  const auto [keys, values] = cache ? cache->write(k, v, start_pos) : std::pair{k, v};
  const Tensor attended =
      causal_attention(q, keys, values, start_pos, attention_dropout_, &masks_);
  return o_proj.forward(merge_heads(attended));  // [B, T, hidden]
}

Tensor GroupedQueryAttention::forward_masked(const Tensor& x, const Tensor& blocked,
                                             const RotaryEmbedding* rotary, int64_t start_pos,
                                             KVCache::Layer* cache) const {
  const ModuleScope scope(this);
  Tensor q = split_heads(q_proj.forward(x), options_.num_heads);
  Tensor k = split_heads(k_proj.forward(x), options_.num_kv_heads);
  if (rotary) {
    q = rotary->apply(q, start_pos);
    k = rotary->apply(k, start_pos);
  }
  const Tensor v = split_heads(v_proj.forward(x), options_.num_kv_heads);
  const auto [keys, values] = cache ? cache->write(k, v, start_pos) : std::pair{k, v};
  const Tensor attended = attention(q, keys, values, blocked, attention_dropout_);
  return o_proj.forward(merge_heads(attended));  // [B, T, hidden]
}

Tensor GroupedQueryAttention::forward_packed(const Tensor& x, const Tensor& blocked,
                                             const RotaryEmbedding& rotary, const Tensor& position_ids) const {
  const ModuleScope scope(this);
  const Tensor q = rotary.apply(split_heads(q_proj.forward(x), options_.num_heads), position_ids);
  const Tensor k = rotary.apply(split_heads(k_proj.forward(x), options_.num_kv_heads), position_ids);
  const Tensor v = split_heads(v_proj.forward(x), options_.num_kv_heads);
  return o_proj.forward(merge_heads(attention(q, k, v, blocked, attention_dropout_)));  // [B, T, hidden]
}

}  // namespace bytegrad::nn
