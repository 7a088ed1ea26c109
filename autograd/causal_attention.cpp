// Gradients of the fused causal attention. The node keeps q, k, v (views, no copies), the output
// (detached: the node must not own the tensor that owns it) and the per-query logsumexp, from
// which the backward kernel recomputes the probabilities block by block.
#include "autograd/functions.h"
#include "autograd/node.h"

namespace bytegrad {
namespace {

// q, k and v [B, H, T, D] as views of a packed projection [B, T, 3 * H * D].
struct PackedHeads {
  Tensor q, k, v;
};

PackedHeads unpack(const Tensor& qkv, int64_t heads) {
  const int64_t batch = qkv.size(0), tokens = qkv.size(1), dim = qkv.size(2) / (3 * heads);
  const Tensor five = ops::reshape(qkv, {batch, tokens, 3, heads, dim});
  auto part = [&](int64_t i) { return ops::transpose(ops::select(five, 2, i), 1, 2); };
  return {part(0), part(1), part(2)};
}

}  // namespace

Tensor fused_causal_attention(const Tensor& q, const Tensor& k, const Tensor& v) {
  auto [out, logsumexp] = ops::causal_attention(q, k, v);
  if (!should_record({q, k, v})) return out;
  return record("causal_attention", out, {q, k, v},
                [q = q.detach(), k = k.detach(), v = v.detach(), out = out.detach(),
                 logsumexp = logsumexp](const Tensor& g, const Needs& need) {
                  auto [grad_q, grad_k, grad_v] = ops::causal_attention_backward(q, k, v, out, logsumexp, g);
                  return std::vector<Tensor>{need[0] ? grad_q : Tensor(), need[1] ? grad_k : Tensor(),
                                             need[2] ? grad_v : Tensor()};
                });
}

Tensor fused_causal_attention_packed(const Tensor& qkv, int64_t heads) {
  BYTEGRAD_CHECK(qkv.dim() == 3 && heads > 0 && qkv.size(2) % (3 * heads) == 0,
                 "fused_causal_attention_packed: qkv ", shape_str(qkv.shape()),
                 " must be [B, T, 3 * heads * head_dim] with ", heads, " heads");
  const Tensor packed = contiguous(qkv.detach());
  const PackedHeads parts = unpack(packed, heads);
  auto [out, logsumexp] = ops::causal_attention(parts.q, parts.k, parts.v);
  // out is laid out [B, T, H, D]: merging the heads is a view.
  const Tensor merged = ops::reshape(ops::transpose(out, 1, 2), {qkv.size(0), qkv.size(1), qkv.size(2) / 3});
  if (!should_record({qkv})) return merged;
  return record("causal_attention", merged, {qkv}, [packed, heads, out = out.detach(), logsumexp = logsumexp](const Tensor& g,
                                                                                          const Needs&) {
    const PackedHeads saved = unpack(packed, heads);
    const Tensor grad_packed = empty(packed.shape(), {packed.dtype(), packed.device()});
    const PackedHeads grads = unpack(grad_packed, heads);
    const Tensor grad_out = ops::transpose(
        ops::reshape(contiguous(g), {g.size(0), g.size(1), heads, g.size(2) / heads}), 1, 2);
    ops::causal_attention_backward(saved.q, saved.k, saved.v, out, logsumexp, grad_out, grads.q, grads.k,
                                   grads.v);
    return std::vector<Tensor>{grad_packed};
  });
}

}  // namespace bytegrad
