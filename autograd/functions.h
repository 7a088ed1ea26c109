// The differentiable tensor API. Every function here computes through tensor/ops.h and, when
// grad mode is on and an input requires grad, records how to send gradients back to its inputs.
// Gradients of broadcasting ops are summed back to each input's shape.
//
// Errors: each function throws bytegrad::Error naming the op, the shapes and dtypes involved
// and what was expected.
#pragma once

#include <utility>
#include <vector>

#include "autograd/backward.h"
#include "autograd/grad_mode.h"
#include "tensor/ops.h"

namespace bytegrad {

// ---- elementwise (autograd/elementwise.cpp) ----
Tensor add(const Tensor& a, const Tensor& b);
Tensor sub(const Tensor& a, const Tensor& b);
Tensor mul(const Tensor& a, const Tensor& b);
Tensor div(const Tensor& a, const Tensor& b);
Tensor pow(const Tensor& a, const Tensor& b);
Tensor maximum(const Tensor& a, const Tensor& b);  // ties split the gradient evenly
Tensor minimum(const Tensor& a, const Tensor& b);
Tensor add(const Tensor& x, double s);
Tensor sub(const Tensor& x, double s);
Tensor rsub(double s, const Tensor& x);  // s - x
Tensor mul(const Tensor& x, double s);
Tensor div(const Tensor& x, double s);
Tensor rdiv(double s, const Tensor& x);  // s / x
Tensor pow(const Tensor& x, double exponent);

Tensor neg(const Tensor& x);
Tensor exp(const Tensor& x);
Tensor log(const Tensor& x);
Tensor sqrt(const Tensor& x);
Tensor rsqrt(const Tensor& x);
Tensor tanh(const Tensor& x);
Tensor sigmoid(const Tensor& x);
Tensor silu(const Tensor& x);
// Exact GELU, x * Phi(x); with tanh_approximation, GPT-2's 0.5x(1 + tanh(sqrt(2/pi)(x + 0.044715x^3))).
Tensor gelu(const Tensor& x, bool tanh_approximation = false);
Tensor relu(const Tensor& x);
Tensor abs(const Tensor& x);
Tensor square(const Tensor& x);
Tensor clamp(const Tensor& x, double low, double high);

// condition ? a : b (condition is bool; all three broadcast).
Tensor where(const Tensor& condition, const Tensor& a, const Tensor& b);
// x with `value` where mask (bool, broadcast to x) is true.
Tensor masked_fill(const Tensor& x, const Tensor& mask, double value);

// Comparisons: bool results, no gradient.
Tensor eq(const Tensor& a, const Tensor& b);
Tensor ne(const Tensor& a, const Tensor& b);
Tensor lt(const Tensor& a, const Tensor& b);
Tensor le(const Tensor& a, const Tensor& b);
Tensor gt(const Tensor& a, const Tensor& b);
Tensor ge(const Tensor& a, const Tensor& b);
Tensor eq(const Tensor& a, double b);
Tensor ne(const Tensor& a, double b);
Tensor lt(const Tensor& a, double b);
Tensor le(const Tensor& a, double b);
Tensor gt(const Tensor& a, double b);
Tensor ge(const Tensor& a, double b);

// ---- reductions (autograd/reduction.cpp); empty dims = all dims ----
Tensor sum(const Tensor& x, const std::vector<int64_t>& dims = {}, bool keepdim = false);
Tensor mean(const Tensor& x, const std::vector<int64_t>& dims = {}, bool keepdim = false);
// Variance with Bessel's correction by default (correction = 1), as torch.var.
Tensor var(const Tensor& x, const std::vector<int64_t>& dims = {}, int64_t correction = 1,
           bool keepdim = false);
Tensor logsumexp(const Tensor& x, const std::vector<int64_t>& dims, bool keepdim = false);
// Over all elements; the gradient is shared evenly among tied maxima.
Tensor max(const Tensor& x);
Tensor min(const Tensor& x);
// Over one dim: (values, int64 indices of the first extreme).
std::pair<Tensor, Tensor> max(const Tensor& x, int64_t dim, bool keepdim = false);
std::pair<Tensor, Tensor> min(const Tensor& x, int64_t dim, bool keepdim = false);
Tensor argmax(const Tensor& x, int64_t dim, bool keepdim = false);
Tensor argmin(const Tensor& x, int64_t dim, bool keepdim = false);
Tensor argmax(const Tensor& x);  // index into the flattened tensor

// ---- softmax (autograd/reduction.cpp); numerically stable ----
Tensor softmax(const Tensor& x, int64_t dim);
Tensor log_softmax(const Tensor& x, int64_t dim);

// ---- losses (autograd/cross_entropy.cpp) ----
// -log softmax(logits[n])[targets[n]] for each row: logits [N, V] float32/float64, targets
// int64 [N] in [0, V) (no gradient). One fused op: the backward pass writes
// softmax - one_hot once instead of composing log_softmax, gather and their gradients.
Tensor cross_entropy_rows(const Tensor& logits, const Tensor& targets);

// Multi-label binary cross-entropy with logits against sparse targets (T-Free's loss):
//   loss_scale * mean over (W, V) of weights[w] * BCEWithLogits(z[w, v], y[w, v], pos_weight),
// BCE(z, y) = -[pos_weight * y * log sigmoid(z) + (1 - y) * log(1 - sigmoid(z))], where y[w] is
// the binary pattern whose ones are target_ids[target_offsets[w] .. target_offsets[w + 1] - 1]
// (int64 in [0, V); a repeated id counts once). logits [W, V] float32/float64, weights [W] (no
// gradient). Returns the scalar in the logits' dtype; the value to log is loss / loss_scale.
// One fused op: no dense targets, and the backward pass writes the logits' gradient once.
Tensor multilabel_bce_with_logits(const Tensor& logits, const Tensor& target_ids, const Tensor& target_offsets,
                                  const Tensor& weights, double pos_weight, double loss_scale = 1.0);

// ---- normalisation (autograd/rms_norm.cpp) ----
// x / sqrt(mean(x^2, -1) + eps) * weight: x [..., D], weight [D], one dtype, float32/float64.
// One fused op forward and backward (the composed form is in nn/norm.cpp for other dtypes).
Tensor rms_norm(const Tensor& x, const Tensor& weight, double eps);

// (x - mean) / sqrt(biased variance + eps) * weight + bias over the last dim: x [..., D],
// weight and bias [D], one dtype, float32/float64; one fused op forward and backward
// (autograd/layer_norm.cpp; the composed form is in nn/norm.cpp for other dtypes).
Tensor layer_norm(const Tensor& x, const Tensor& weight, const Tensor& bias, double eps);

// ---- attention (autograd/causal_attention.cpp) ----
// Causal softmax(q k^T / sqrt(D)) v as one op that neither computes nor differentiates the
// masked scores: q [B, H, T, D], k and v [B, H_kv, S, D] (H_kv dividing H, S >= T), one dtype,
// float32/float64; query i sits at position S - T + i and sees keys 0 .. S - T + i. Its
// reference is nn::attention() with the causal mask. Keeps the output and one logsumexp per
// query [B, H, T] for the backward pass, never the [T, S] scores, probabilities or mask.
Tensor fused_causal_attention(const Tensor& q, const Tensor& k, const Tensor& v);
// The same for one packed projection qkv [B, T, 3 * heads * D] (q, then k, then v, each heads
// x D, as GPT-2's c_attn writes them), with the heads merged back: returns [B, T, heads * D].
// The heads are read in place, and the gradient comes back packed, so splitting and merging
// the heads costs no copies either way.
Tensor fused_causal_attention_packed(const Tensor& qkv, int64_t heads);

// ---- products (autograd/linalg.cpp) ----
// torch.matmul: 1-D operands are vectors; batch dims broadcast.
Tensor matmul(const Tensor& a, const Tensor& b);

// ---- shapes and views (autograd/shape.cpp) ----
Tensor reshape(const Tensor& x, const Shape& shape);
Tensor view(const Tensor& x, const Shape& shape);
Tensor flatten(const Tensor& x, int64_t start_dim = 0, int64_t end_dim = -1);
Tensor transpose(const Tensor& x, int64_t dim0, int64_t dim1);
Tensor permute(const Tensor& x, const std::vector<int64_t>& dims);
Tensor movedim(const Tensor& x, int64_t source, int64_t destination);
Tensor narrow(const Tensor& x, int64_t dim, int64_t start, int64_t length);
Tensor slice(const Tensor& x, int64_t dim, int64_t start, int64_t end, int64_t step = 1);
Tensor select(const Tensor& x, int64_t dim, int64_t index);
Tensor expand(const Tensor& x, const Shape& shape);
Tensor squeeze(const Tensor& x, int64_t dim);
Tensor unsqueeze(const Tensor& x, int64_t dim);
Tensor contiguous(const Tensor& x);
Tensor clone(const Tensor& x);
Tensor to(const Tensor& x, DType dtype);
Tensor to(const Tensor& x, Device device);
Tensor cat(const std::vector<Tensor>& tensors, int64_t dim);
Tensor stack(const std::vector<Tensor>& tensors, int64_t dim);
// Views of consecutive pieces of `size` (the last may be smaller) / `chunks` nearly equal pieces.
std::vector<Tensor> split(const Tensor& x, int64_t size, int64_t dim);
std::vector<Tensor> chunk(const Tensor& x, int64_t chunks, int64_t dim);

// ---- indexing (autograd/indexing.cpp); indices are int64 (or int32) ----
Tensor gather(const Tensor& x, int64_t dim, const Tensor& index);
Tensor index_select(const Tensor& x, int64_t dim, const Tensor& index);
Tensor scatter_add(const Tensor& x, int64_t dim, const Tensor& index, const Tensor& src);
Tensor index_add(const Tensor& x, int64_t dim, const Tensor& index, const Tensor& src);
// Rows of weight [vocab, dim] for ids of any shape: result shape ids.shape + [dim].
Tensor embedding(const Tensor& weight, const Tensor& ids);
// Embedding bags (T-Free's word embedding): weight [V, h], ids int64 [N, m], offsets int64
// [W + 1] -> [W, h], bag w's row = the sum over its items offsets[w] .. offsets[w + 1] - 1 of the
// sum (or mean) of their m rows, divided by the item count when `normalize`; empty bags give
// zeros (see ops::embedding_bag). Repeated ids count each time. The gradient adds rows into
// weight's .grad in place (sparse). Throws Error for bad shapes, ids outside [0, V) and offsets
// that do not start at 0, decrease or do not end at N.
Tensor embedding_bag(const Tensor& weight, const Tensor& ids, const Tensor& offsets,
                     BagAggregation aggregation = BagAggregation::Sum, bool normalize = false);
Tensor triu(const Tensor& x, int64_t diagonal = 0);
Tensor tril(const Tensor& x, int64_t diagonal = 0);
Tensor cumsum(const Tensor& x, int64_t dim);
// Sorted values (differentiable) and their int64 source indices.
std::pair<Tensor, Tensor> sort(const Tensor& x, int64_t dim = -1, bool descending = false);
std::pair<Tensor, Tensor> topk(const Tensor& x, int64_t k, int64_t dim = -1, bool largest = true);
// int64 [..., num_classes] with a 1 at each index (no gradient).
Tensor one_hot(const Tensor& indices, int64_t num_classes);

// Sums a broadcast gradient back down to `shape` (the inverse of broadcasting).
Tensor sum_to(const Tensor& x, const Shape& shape);

}  // namespace bytegrad
