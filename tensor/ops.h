// Computation on tensors without gradient tracking: argument checks, output allocation and
// dispatch to the device's backend. autograd/functions.h builds the differentiable API on top.
//
// Every op throws bytegrad::Error naming itself, the shapes and dtypes involved, and what it
// expected, when its arguments are wrong.
#pragma once

#include <utility>
#include <vector>

#include "kernels/backend.h"
#include "tensor/creation.h"
#include "tensor/tensor.h"
#include "tensor/views.h"

namespace bytegrad {

// How the m rows of one embedding-bag item combine (T-Free's embedding_aggregation). Outside
// namespace ops, so that argument-dependent lookup does not make ops::embedding_bag a candidate
// beside the differentiable bytegrad::embedding_bag.
enum class BagAggregation { Sum, Mean };

}  // namespace bytegrad

namespace bytegrad::ops {

using kernels::BinaryOp;
using kernels::ReduceOp;
using kernels::UnaryOp;

// --- elementwise (elementwise.cpp) ---
// Float-only ops (exp, log, ...) compute integer inputs in float32, as PyTorch does.
Tensor unary(UnaryOp op, const Tensor& x, double alpha = 0, double beta = 0);
// NumPy broadcasting and PyTorch type promotion; comparisons return bool; dividing two
// integer tensors gives float32.
Tensor binary(BinaryOp op, const Tensor& a, const Tensor& b);
// condition (bool) ? a : b, all three broadcast together.
Tensor where(const Tensor& condition, const Tensor& a, const Tensor& b);

// --- reductions (reduction.cpp) ---
// Reduces `dims` (all dims when empty). Sum/Prod of integers give int64; Mean needs floats.
Tensor reduce(ReduceOp op, const Tensor& x, std::vector<int64_t> dims, bool keepdim);
// Max/Min over one dim: values and their int64 indices (the first occurrence).
std::pair<Tensor, Tensor> reduce_with_indices(ReduceOp op, const Tensor& x, int64_t dim,
                                              bool keepdim);

// --- row ops along a dimension (rows.cpp) ---
Tensor softmax(const Tensor& x, int64_t dim, bool log);
Tensor softmax_backward(const Tensor& y, const Tensor& grad_y, int64_t dim, bool log);
Tensor cumsum(const Tensor& x, int64_t dim);
std::pair<Tensor, Tensor> sort(const Tensor& x, int64_t dim, bool descending);
std::pair<Tensor, Tensor> topk(const Tensor& x, int64_t k, int64_t dim, bool largest);

// --- cross-entropy over rows (cross_entropy.cpp) ---
// logits [N, V] (float32 or float64), targets int64 [N] in [0, V): returns (loss [N],
// log_normalizer [N]) with log_normalizer = logsumexp over V and loss = log_normalizer - the
// target's logit.
std::pair<Tensor, Tensor> cross_entropy(const Tensor& logits, const Tensor& targets);
// The logits' gradient, grad_loss[n] * (softmax(logits[n]) - one_hot(targets[n])), from the
// forward pass's log_normalizer.
Tensor cross_entropy_backward(const Tensor& logits, const Tensor& targets,
                              const Tensor& log_normalizer, const Tensor& grad_loss);

// --- sparse rows: offsets, embedding bags, multi-label BCE (bags.cpp, embedding_bag.cpp,
// multilabel_bce.cpp) ---
// Checks that `offsets` is int64 [rows + 1] on the CPU or a device, starting at 0, never
// decreasing and ending at `items`: the row boundaries of a compressed-sparse-row layout whose
// row r owns items offsets[r] .. offsets[r + 1] - 1. `what` names the tensor in the error.
// Returns the number of rows.
int64_t check_offsets(const char* op, const char* what, const Tensor& offsets, int64_t items);
// Checks that every element of the int64 `ids` lies in [0, size); `what` names the tensor.
void check_ids_below(const char* op, const char* what, const Tensor& ids, int64_t size);

// Embedding bags: weight [V, h] (float32/float64), ids int64 [N, m] in [0, V), offsets int64
// [W + 1] (see check_offsets; bag w owns items offsets[w] .. offsets[w + 1] - 1) -> [W, h]:
// bag w's row is the sum over its items of the sum (or mean) of their m rows, divided by its
// item count when `normalize`; an empty bag gives zeros (see Backend::embedding_bag).
Tensor embedding_bag(const Tensor& weight, const Tensor& ids, const Tensor& offsets,
                     BagAggregation aggregation, bool normalize);
// Adds the gradient of embedding_bag for grad_out [W, h] into the contiguous grad_weight [V, h]
// in place, touching only the rows the bags read.
void embedding_bag_backward_(const Tensor& grad_weight, const Tensor& grad_out, const Tensor& ids,
                             const Tensor& offsets, BagAggregation aggregation, bool normalize);
// Multi-label BCE with logits per row: logits [W, V] (float32/float64), row w's positive classes
// target_ids[target_offsets[w] .. target_offsets[w + 1] - 1] (int64 in [0, V), repeats count
// once), weights [W] -> loss [W] in the logits' dtype, weights[w] * sum over v of
// BCEWithLogits(z, y, pos_weight) (see Backend::multilabel_bce).
Tensor multilabel_bce(const Tensor& logits, const Tensor& target_ids, const Tensor& target_offsets,
                      const Tensor& weights, double pos_weight);
// Its logits' gradient for grad_loss [W].
Tensor multilabel_bce_backward(const Tensor& logits, const Tensor& target_ids,
                               const Tensor& target_offsets, const Tensor& weights,
                               double pos_weight, const Tensor& grad_loss);

// --- RMS normalisation over the last dim (rms_norm.cpp) ---
// x [..., D] and weight [D], both float32 or both float64: returns (x * r * weight, r) with
// r [...] = 1 / sqrt(mean(x^2, -1) + eps).
std::pair<Tensor, Tensor> rms_norm(const Tensor& x, const Tensor& weight, double eps);
// (grad_x, grad_weight) from the forward pass's r; grad_weight is left undefined unless asked.
std::pair<Tensor, Tensor> rms_norm_backward(const Tensor& x, const Tensor& weight,
                                            const Tensor& inverse_rms, const Tensor& grad_out,
                                            bool want_weight_grad);

// --- layer normalisation over the last dim (layer_norm.cpp) ---
// x [..., D], weight and bias [D], all float32 or all float64: out = (x - mean) * inverse_std *
// weight + bias, with mean [...] and inverse_std [...] = 1 / sqrt(biased variance + eps) of
// each row kept for the backward pass.
struct LayerNormResult {
  Tensor out, mean, inverse_std;
};
LayerNormResult layer_norm(const Tensor& x, const Tensor& weight, const Tensor& bias, double eps);
// Gradients from the forward pass's mean and inverse_std; grad_weight and grad_bias are left
// undefined unless asked.
struct LayerNormGradients {
  Tensor grad_x, grad_weight, grad_bias;
};
LayerNormGradients layer_norm_backward(const Tensor& x, const Tensor& weight, const Tensor& mean,
                                       const Tensor& inverse_std, const Tensor& grad_out,
                                       bool want_weight_grad, bool want_bias_grad);

// --- causal attention in one op (causal_attention.cpp) ---
// softmax(q k^T / sqrt(D)) v over the keys each query may see, without computing the masked
// scores or keeping the [T, S] probabilities: q [B, H, T, D], k and v [B, H_kv, S, D] of one
// dtype (float32 or float64), H a multiple of H_kv, S >= T; the queries are the last T of the S
// positions, so query i sees keys 0 .. S - T + i. Views whose rows are dense (heads split from a
// packed projection) are read in place. Returns out [B, H, T, D], laid out as [B, T, H, D] so
// that merging its heads is a view, and the logsumexp [B, H, T] of each query's scaled scores,
// from which the backward pass recomputes the probabilities (kernels/backend.h).
struct CausalAttentionResult {
  Tensor out, logsumexp;
};
CausalAttentionResult causal_attention(const Tensor& q, const Tensor& k, const Tensor& v);
// The gradients from the forward pass's out and logsumexp, written into grad_q, grad_k and
// grad_v: shaped like q, k and v, in their dtype, with dense rows (views of one packed gradient,
// for instance).
void causal_attention_backward(const Tensor& q, const Tensor& k, const Tensor& v, const Tensor& out,
                               const Tensor& logsumexp, const Tensor& grad_out, const Tensor& grad_q,
                               const Tensor& grad_k, const Tensor& grad_v);
// The same into fresh tensors laid out as the forward pass's out is.
struct CausalAttentionGradients {
  Tensor grad_q, grad_k, grad_v;
};
CausalAttentionGradients causal_attention_backward(const Tensor& q, const Tensor& k, const Tensor& v,
                                                   const Tensor& out, const Tensor& logsumexp,
                                                   const Tensor& grad_out);

// --- products (matmul.cpp) ---
// 1-D and N-D operands as torch.matmul: batch dimensions broadcast.
Tensor matmul(const Tensor& a, const Tensor& b);

// --- indexing (indexing.cpp); indices are int64 and bounds-checked ---
Tensor gather(const Tensor& x, int64_t dim, const Tensor& index);
Tensor scatter_add(const Tensor& x, int64_t dim, const Tensor& index, const Tensor& src);
Tensor index_select(const Tensor& x, int64_t dim, const Tensor& index);
Tensor index_add(const Tensor& x, int64_t dim, const Tensor& index, const Tensor& src);
// index_add in place: dst[.., index[j], ..] += src[.., j, ..] along `dim`, written where dst lies
// (dst must be contiguous). For sparse updates of a large tensor, as embedding rows into a .grad.
void index_add_(const Tensor& dst, int64_t dim, const Tensor& index, const Tensor& src);
// Upper (triu) or lower (tril) triangle of the last two dims from diagonal k.
Tensor triangle(const Tensor& x, int64_t k, bool upper);
Tensor cat(const std::vector<Tensor>& tensors, int64_t dim);

// Shared argument checks.
void check_same_device(const char* op, const Tensor& a, const Tensor& b);
void check_floating(const char* op, const Tensor& x);

}  // namespace bytegrad::ops
