// Gradient of the fused causal attention. The node keeps q, k, v and the probabilities; the
// backward kernel reads only the visible part of each row, as the forward one wrote it.
#include "autograd/functions.h"
#include "autograd/node.h"

namespace bytegrad {

Tensor fused_causal_attention(const Tensor& q, const Tensor& k, const Tensor& v) {
  // Heads split from one projection are strided views; the copies made here for the kernel are
  // the ones the node keeps, so the backward pass does not copy them again.
  const Tensor dense_q = contiguous(q.detach()), dense_k = contiguous(k.detach());
  const Tensor dense_v = contiguous(v.detach());
  auto [out, probabilities] = ops::causal_attention(dense_q, dense_k, dense_v);
  if (!should_record({q, k, v})) return out;
  return record("causal_attention", out, {q, k, v},
                [q = dense_q, k = dense_k, v = dense_v, probabilities](const Tensor& g, const Needs& need) {
                  auto [grad_q, grad_k, grad_v] = ops::causal_attention_backward(q, k, v, probabilities, g);
                  return std::vector<Tensor>{need[0] ? grad_q : Tensor(), need[1] ? grad_k : Tensor(),
                                             need[2] ? grad_v : Tensor()};
                });
}

}  // namespace bytegrad
