// The kernel interface every device implements. The tensor layer checks arguments, allocates
// outputs, and reduces each op to one of these calls; a backend only does arithmetic.
//
// Conventions for every method: outputs are allocated by the caller; unless a method says
// otherwise, inputs already have the output's shape (broadcast inputs carry stride 0), and
// all float work in half types computes in float32.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>

#include "base/device.h"
#include "kernels/array_view.h"

namespace bytegrad::kernels {

enum class UnaryOp {
  Neg, Exp, Log, Sqrt, Rsqrt, Tanh, Sigmoid, Silu, Gelu, GeluTanh, Relu, Abs, Square, Sign,
  PowScalar,  // x ^ alpha
  Clamp,      // min(max(x, alpha), beta)
  AddScalar,  // x + alpha
  MulScalar,  // x * alpha
  RSubScalar, // alpha - x
  RDivScalar, // alpha / x
};

enum class BinaryOp {
  Add, Sub, Mul, Div, Pow, Maximum, Minimum,
  Equal, NotEqual, Less, LessEqual, Greater, GreaterEqual,  // write bool
  // Fused gradients: first operand is the forward input x (or output y), second the incoming
  // gradient g; the result is g * f'(.). They save one pass over memory in backward.
  SigmoidBackwardFromOutput, TanhBackwardFromOutput, SiluBackward, GeluBackward,
  GeluTanhBackward, ReluBackward,
};

enum class ReduceOp { Sum, Mean, Max, Min, ArgMax, ArgMin, LogSumExp, Prod };

enum class RandomKind { Uniform, Normal, Integer };

// One matrix product per batch entry: C[b] = op(A[b]) @ op(B[b]), all row-major with leading
// dimensions lda/ldb/ldc; the offsets (in elements) locate each batch entry's matrices.
struct GemmBatch {
  int64_t m = 0, n = 0, k = 0;
  bool transpose_a = false, transpose_b = false;
  int64_t lda = 0, ldb = 0, ldc = 0;
  std::span<const int64_t> a_offsets, b_offsets, c_offsets;
};

// Fused optimizer kernels update every parameter of a model in one call (a multi-tensor form,
// as torch.optim's fused/foreach optimizers and llm.c's adamw kernel): one entry per parameter,
// each buffer contiguous float32 of `numel` elements, all on the backend's device.

// One parameter's buffers for AdamW, with its own decay factor (1 - lr * weight_decay, or 1).
struct AdamWParameter {
  float* param = nullptr;
  const float* grad = nullptr;
  float* exp_avg = nullptr;
  float* exp_avg_sq = nullptr;
  int64_t numel = 0;
  float decay = 1.0f;
};

// The coefficients of one AdamW step shared by every parameter: step_size = lr / (1 - b1^t) and
// inverse_bias_correction2 = 1 / sqrt(1 - b2^t), the optimizer's bookkeeping for step t.
struct AdamWStep {
  float beta1 = 0.9f, beta2 = 0.999f, eps = 1e-8f;
  float step_size = 0.0f;
  float inverse_bias_correction2 = 1.0f;
};

// One parameter's buffers for SGD with momentum, with its own L2 weight decay (or 0).
struct SgdParameter {
  float* param = nullptr;
  const float* grad = nullptr;
  float* velocity = nullptr;
  int64_t numel = 0;
  float weight_decay = 0.0f;
};

class Backend {
 public:
  virtual ~Backend() = default;

  // Memory.
  virtual void* allocate(size_t nbytes) = 0;
  virtual void deallocate(void* ptr, size_t nbytes) = 0;
  virtual void copy_to_host(const void* device_src, void* host_dst, size_t nbytes) = 0;
  virtual void copy_from_host(const void* host_src, void* device_dst, size_t nbytes) = 0;
  // Copies nbytes (0 allowed: nothing happens) between two buffers of this device, without a
  // trip through the host.
  virtual void copy_within_device(const void* src, void* dst, size_t nbytes) = 0;
  // Waits until every call issued to this device has finished, so that its results may be read
  // by another device or by the host. Devices that run calls synchronously (the CPU) return at once.
  virtual void synchronize() = 0;

  // dst = src converted to dst's dtype (shapes equal; src may broadcast).
  virtual void copy(const ArrayView& src, const ArrayView& dst) = 0;
  virtual void fill(const ArrayView& dst, double value) = 0;
  // dst[i] = start + i * step for a contiguous dst.
  virtual void arange(const ArrayView& dst, double start, double step) = 0;
  // Fills a contiguous dst from the Philox stream (base/philox.h) at (seed, offset).
  // Uniform: in [a, b); Normal: mean a, std b; Integer: in [a, b).
  virtual void random(RandomKind kind, const ArrayView& dst, uint64_t seed, uint64_t offset,
                      double a, double b) = 0;

  // Elementwise. `in`, `a`, `b` share a dtype; comparisons write bool, others the input dtype.
  virtual void unary(UnaryOp op, const ArrayView& in, const ArrayView& out, double alpha,
                     double beta) = 0;
  virtual void binary(BinaryOp op, const ArrayView& a, const ArrayView& b,
                      const ArrayView& out) = 0;
  // out = condition ? a : b, condition is bool.
  virtual void where(const ArrayView& condition, const ArrayView& a, const ArrayView& b,
                     const ArrayView& out) = 0;

  // Reduces the trailing `reduced_dims` dimensions of `in` into the contiguous `out`, whose
  // shape is in's leading dimensions. ArgMax/ArgMin write int64 indices over the flattened
  // reduced dimensions; Max/Min also write them to `indices` when it has data.
  virtual void reduce(ReduceOp op, const ArrayView& in, int64_t reduced_dims,
                      const ArrayView& out, const ArrayView& indices) = 0;

  // Row-wise ops over a contiguous [rows, n] layout (the op's dimension moved last).
  virtual void softmax(const ArrayView& in, const ArrayView& out, bool log) = 0;
  // grad_in = y * (g - sum(g*y)) for softmax, g - exp(y) * sum(g) for log-softmax.
  virtual void softmax_backward(const ArrayView& y, const ArrayView& grad_out,
                                const ArrayView& grad_in, bool log) = 0;
  virtual void cumsum(const ArrayView& in, const ArrayView& out) = 0;
  // Cross-entropy of each row of contiguous logits [N, V] (float or double) against int64
  // targets [N] in [0, V): log_normalizer[n] = logsumexp(logits[n]) and
  // loss[n] = log_normalizer[n] - logits[n, targets[n]].
  virtual void cross_entropy(const ArrayView& logits, const ArrayView& targets,
                             const ArrayView& loss, const ArrayView& log_normalizer) = 0;
  // grad_logits[n, v] = grad_loss[n] * (exp(logits[n, v] - log_normalizer[n]) - [v == targets[n]]):
  // softmax minus one-hot, computed in one pass without materialising the probabilities.
  virtual void cross_entropy_backward(const ArrayView& logits, const ArrayView& targets,
                                      const ArrayView& log_normalizer, const ArrayView& grad_loss,
                                      const ArrayView& grad_logits) = 0;
  // RMS normalisation of each row of contiguous x [N, D] (float or double), times weight [D]:
  // inverse_rms[n] = 1 / sqrt(mean(x[n]^2) + eps), out[n] = x[n] * inverse_rms[n] * weight.
  virtual void rms_norm(const ArrayView& x, const ArrayView& weight, double eps, const ArrayView& out,
                        const ArrayView& inverse_rms) = 0;
  // Gradients of rms_norm from the forward pass's inverse_rms; grad_weight [D] is skipped when
  // its data is null.
  virtual void rms_norm_backward(const ArrayView& x, const ArrayView& weight,
                                 const ArrayView& inverse_rms, const ArrayView& grad_out,
                                 const ArrayView& grad_x, const ArrayView& grad_weight) = 0;
  // Layer normalisation of each row of contiguous x [N, D] (float or double), with weight and
  // bias [D]: mean[n] and inverse_std[n] = 1 / sqrt(biased variance of x[n] + eps) are written
  // for the backward pass, out[n] = (x[n] - mean[n]) * inverse_std[n] * weight + bias.
  virtual void layer_norm(const ArrayView& x, const ArrayView& weight, const ArrayView& bias,
                          double eps, const ArrayView& out, const ArrayView& mean,
                          const ArrayView& inverse_std) = 0;
  // Gradients of layer_norm from the forward pass's mean and inverse_std; grad_weight and
  // grad_bias [D] are each skipped when their data is null.
  virtual void layer_norm_backward(const ArrayView& x, const ArrayView& weight,
                                   const ArrayView& mean, const ArrayView& inverse_std,
                                   const ArrayView& grad_out, const ArrayView& grad_x,
                                   const ArrayView& grad_weight, const ArrayView& grad_bias) = 0;
  // Causal scaled dot-product attention that never materialises the [T, S] score matrix (flash
  // attention's memory behaviour): scores live only in per-block scratch, and the backward pass
  // recomputes them from the log-normalisers. q [B, H, T, D] and k, v [B, H_kv, S, D] (float or
  // double) may have any strides but a dense last dimension, as may out and the gradients below.
  // H is a multiple of H_kv (query head h reads key/value head h / (H / H_kv)) and S >= T: the T
  // queries sit at positions S - T .. S - 1, and query i sees keys 0 .. S - T + i. Writes
  // out [B, H, T, D] = softmax(scale * q k^T) @ v over the visible keys and the contiguous
  // logsumexp [B, H, T] (in q's dtype) of each query's visible scaled scores.
  virtual void causal_attention(const ArrayView& q, const ArrayView& k, const ArrayView& v,
                                double scale, const ArrayView& out, const ArrayView& logsumexp) = 0;
  // Gradients of causal_attention from its out and logsumexp and grad_out [B, H, T, D]: with
  // P = exp(scale * q k^T - logsumexp) recomputed block by block and delta = rowsum(grad_out * out),
  //   dS = scale * P * (grad_out v^T - delta),  grad_q = dS k,  grad_k = dS^T q,  grad_v = P^T grad_out,
  // grad_k and grad_v summed over the query heads sharing a key/value head. grad_q, grad_k and
  // grad_v are shaped like q, k and v and are overwritten.
  virtual void causal_attention_backward(const ArrayView& q, const ArrayView& k,
                                         const ArrayView& v, const ArrayView& out,
                                         const ArrayView& logsumexp, double scale,
                                         const ArrayView& grad_out, const ArrayView& grad_q,
                                         const ArrayView& grad_k, const ArrayView& grad_v) = 0;
  // Embedding bags (T-Free's word embedding). ids int64 [N, m] name m rows of weight [V, h] (float
  // or double) per item; offsets int64 [W + 1] group the items into W bags, bag w owning items
  // offsets[w] .. offsets[w + 1] - 1. With c = (mean_items ? 1 / m : 1) * (normalize ? 1 / items
  // of the bag : 1), out[w] = c * sum over the bag's items i and j < m of weight[ids[i, j]]:
  // repeated ids count each time; an empty bag gives zeros. out [W, h] is contiguous.
  virtual void embedding_bag(const ArrayView& weight, const ArrayView& ids, const ArrayView& offsets,
                             bool mean_items, bool normalize, const ArrayView& out) = 0;
  // The gradient of embedding_bag added in place: grad_weight[ids[i, j]] += c * grad_out[w] for
  // every row the forward pass read; grad_weight [V, h] and grad_out [W, h] contiguous.
  virtual void embedding_bag_backward(const ArrayView& grad_out, const ArrayView& ids,
                                      const ArrayView& offsets, bool mean_items, bool normalize,
                                      const ArrayView& grad_weight) = 0;
  // Binary cross-entropy with logits against sparse binary targets, summed over each row of
  // contiguous logits [W, V] (float or double). Row w's positive classes are
  // target_ids[target_offsets[w] .. target_offsets[w + 1] - 1] (int64; a repeated id counts
  // once), every other class is negative; weights [W] has the logits' dtype:
  //   loss[w] = weights[w] * sum_v (positive ? pos_weight * softplus(-z) : softplus(z)),
  // which is -[p y log sigmoid(z) + (1 - y) log(1 - sigmoid(z))] computed without overflow.
  virtual void multilabel_bce(const ArrayView& logits, const ArrayView& target_ids,
                              const ArrayView& target_offsets, const ArrayView& weights,
                              double pos_weight, const ArrayView& loss) = 0;
  // grad_logits[w, v] = grad_loss[w] * weights[w] * (positive ? pos_weight * (sigmoid(z) - 1)
  // : sigmoid(z)), written once per element; grad_loss [W] has the logits' dtype.
  virtual void multilabel_bce_backward(const ArrayView& logits, const ArrayView& target_ids,
                                       const ArrayView& target_offsets, const ArrayView& weights,
                                       double pos_weight, const ArrayView& grad_loss,
                                       const ArrayView& grad_logits) = 0;
  // Sorts each row; indices are int64 positions in the input row. Stable.
  virtual void sort(const ArrayView& in, const ArrayView& values, const ArrayView& indices,
                    bool descending) = 0;
  // The k largest (or smallest) of each row, in sorted order; values/indices are [rows, k].
  virtual void topk(const ArrayView& in, int64_t k, bool largest, const ArrayView& values,
                    const ArrayView& indices) = 0;

  // Matrix products on contiguous float buffers (see GemmBatch).
  virtual void gemm(DType dtype, const void* a, const void* b, void* c, const GemmBatch& batch) = 0;

  // Indexing over contiguous arrays viewed as [outer, dim, inner]; indices are int64.
  // gather: out[o, j, i] = in[o, index[o, j, i], i] (index shaped like out).
  virtual void gather(const ArrayView& in, const ArrayView& index, const ArrayView& out,
                      int64_t dim) = 0;
  // scatter_add: dst[o, index[o, j, i], i] += src[o, j, i] (index shaped like src).
  virtual void scatter_add(const ArrayView& dst, const ArrayView& index, const ArrayView& src,
                           int64_t dim) = 0;
  // index_select: out[o, j, i] = in[o, index[j], i]; index is 1-D.
  virtual void index_select(const ArrayView& in, const ArrayView& index, const ArrayView& out,
                            int64_t dim) = 0;
  // index_add: dst[o, index[j], i] += src[o, j, i]; index is 1-D (the gradient of index_select,
  // and of an embedding lookup).
  virtual void index_add(const ArrayView& dst, const ArrayView& index, const ArrayView& src,
                         int64_t dim) = 0;
  // Keeps the upper (or lower) triangle of each trailing matrix from diagonal k; zeros the rest.
  virtual void triangle(const ArrayView& in, const ArrayView& out, int64_t k, bool upper) = 0;

  // Fused optimizer kernels over all parameters (see AdamWParameter), in float32 arithmetic.
  // AdamW, as torch.optim.AdamW, for each element:
  //   m = b1 m + (1 - b1) g;  v = b2 v + (1 - b2) g^2
  //   p = p * decay - step_size * m / (sqrt(v) * inverse_bias_correction2 + eps)
  virtual void adamw(std::span<const AdamWParameter> parameters, const AdamWStep& step) = 0;
  // SGD with momentum, as torch.optim.SGD without dampening or Nesterov, for each element:
  //   v = momentum v + g + weight_decay p;  p = p - learning_rate v
  virtual void sgd(std::span<const SgdParameter> parameters, float learning_rate,
                   float momentum) = 0;
  // The sum of x^2 over every element of every buffer, accumulated in float64 (the square of
  // the global gradient norm). Returns once the result is known, on the host.
  virtual double sum_of_squares(std::span<const std::span<const float>> buffers) = 0;
  // x *= factor for every element of every buffer (gradient clipping).
  virtual void scale(std::span<const std::span<float>> buffers, float factor) = 0;
};

// The backend that runs ops for `device`: one instance per device (kind and index), living as
// long as the process. Throws Error naming the device when its index does not exist (the CPU has
// index 0 only) or this build has no backend for its kind.
Backend& backend_for(Device device);

// Devices of a kind this process can use: 1 for the CPU; visible GPUs for CUDA (0 in a build
// without the CUDA backend).
int device_count(DeviceKind kind);

}  // namespace bytegrad::kernels
