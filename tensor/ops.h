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

// --- RMS normalisation over the last dim (rms_norm.cpp) ---
// x [..., D] and weight [D], both float32 or both float64: returns (x * r * weight, r) with
// r [...] = 1 / sqrt(mean(x^2, -1) + eps).
std::pair<Tensor, Tensor> rms_norm(const Tensor& x, const Tensor& weight, double eps);
// (grad_x, grad_weight) from the forward pass's r; grad_weight is left undefined unless asked.
std::pair<Tensor, Tensor> rms_norm_backward(const Tensor& x, const Tensor& weight,
                                            const Tensor& inverse_rms, const Tensor& grad_out,
                                            bool want_weight_grad);

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
