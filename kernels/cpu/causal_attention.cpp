// Causal attention by blocks of queries, without the [T, S] score matrix. For one (batch, head),
// queries i and keys j <= offset + i:
//   forward:  P = softmax(scale * Q K^T) over the visible keys,  O = P V,  L = logsumexp per row
//   backward: P = exp(scale * Q K^T - L),  dP = dO V^T,  delta = rowsum(dO * O),
//             dS = scale * P * (dP - delta),  dQ = dS K,  dK = dS^T Q,  dV = P^T dO
// Queries are taken kQueryBlock rows at a time, and a block's scores [rows, visible] live in one
// scratch buffer per thread: on a CPU a whole row of scores fits in cache, so each block takes
// its softmax in one pass where a GPU kernel, with far less fast memory per thread, tiles the
// keys too and rescales a running softmax (the online form). Memory is O(block x S) per thread
// instead of the O(T x S) per head that storing P for backward costs (2.4 GB for GPT-2 124M at
// batch 4 x 1024), and delta = rowsum(dO * O) equals rowsum(P * dP) without P.
// A block's products run only over the keys its last query sees, so above the diagonal only
// the keys inside the diagonal block are computed (and then zeroed), not the whole upper
// triangle. q, k, v, out and the gradients may be strided views (their rows dense), so that heads
// split from one packed projection need no copies. Each (batch, head) runs on one thread with
// single-threaded BLAS calls (OpenBLAS keeps to one thread inside an OpenMP region); the backward
// pass runs per key/value head so that the query heads sharing it add into its dK and dV one
// after another.
#include <cblas.h>

#include <Eigen/Core>
#include <algorithm>
#include <cmath>
#include <vector>

#include "kernels/cpu/cpu_backend.h"
#include "kernels/cpu/strided_loop.h"

namespace bytegrad::kernels::cpu {
namespace {

// Rows of queries per block: 64 computes 62.5% of the 256 x 256 score matrix (50% is the
// triangle itself) while each product stays large enough for BLAS to run near its peak.
constexpr int64_t kQueryBlock = 64;

// C = alpha op(A) op(B) + beta C, row-major.
void gemm(bool ta, bool tb, int64_t m, int64_t n, int64_t k, float alpha, const float* a, int64_t lda,
          const float* b, int64_t ldb, float beta, float* c, int64_t ldc) {
  cblas_sgemm(CblasRowMajor, ta ? CblasTrans : CblasNoTrans, tb ? CblasTrans : CblasNoTrans, int(m), int(n),
              int(k), alpha, a, int(lda), b, int(ldb), beta, c, int(ldc));
}
void gemm(bool ta, bool tb, int64_t m, int64_t n, int64_t k, double alpha, const double* a, int64_t lda,
          const double* b, int64_t ldb, double beta, double* c, int64_t ldc) {
  cblas_dgemm(CblasRowMajor, ta ? CblasTrans : CblasNoTrans, tb ? CblasTrans : CblasNoTrans, int(m), int(n),
              int(k), alpha, a, int(lda), b, int(ldb), beta, c, int(ldc));
}

// The sizes of one call, read from q [B, H, T, D] and k [B, H_kv, S, D].
struct Sizes {
  int64_t batch, heads, kv_heads, tokens, keys, dim;
  int64_t group() const { return heads / kv_heads; }
  int64_t offset() const { return keys - tokens; }  // the position of query 0
  // Keys visible to the last query of the block starting at query i0 with `rows` queries.
  int64_t visible(int64_t i0, int64_t rows) const { return offset() + i0 + rows; }
  int64_t work() const { return 4 * tokens * keys * dim; }  // per (batch, head), for parallel_for
};

Sizes sizes_of(const ArrayView& q, const ArrayView& k) {
  return {q.shape[0], q.shape[1], k.shape[1], q.shape[2], k.shape[2], q.shape[3]};
}

// One [B, H, rows, D] array whose rows are dense but may sit anywhere: q, k and v are often
// views of one packed projection [B, rows, 3, H, D], and out a transposed view of [B, rows, H, D].
template <typename T>
struct HeadRows {
  T* data;
  int64_t batch_stride, head_stride, row_stride;
  explicit HeadRows(const ArrayView& a)
      : data(a.as<T>()), batch_stride(a.strides[0]), head_stride(a.strides[1]),
        row_stride(std::max(a.strides[2], a.shape[3])) {}  // a single row may carry any stride
  T* at(int64_t b, int64_t h) const { return data + b * batch_stride + h * head_stride; }
};

template <typename T>
using ArrayMap = Eigen::Map<Eigen::Array<T, Eigen::Dynamic, 1>>;

// Softmax over the first `seen` entries of a row of `length` (the rest become 0); returns the
// row's logsumexp.
template <typename T>
T softmax_prefix(T* row, int64_t seen, int64_t length) {
  ArrayMap<T> scores(row, seen);
  const T largest = scores.maxCoeff();
  scores = (scores - largest).exp();
  const T total = scores.sum();
  scores /= total;
  std::fill(row + seen, row + length, T(0));
  return largest + std::log(total);
}

// The probabilities exp(score - logsumexp) of the first `seen` entries of a row of scores (the
// rest become 0), as the forward pass computed them.
template <typename T>
void probabilities_from(T* row, T logsumexp, int64_t seen, int64_t length) {
  ArrayMap<T> scores(row, seen);
  scores = (scores - logsumexp).exp();
  std::fill(row + seen, row + length, T(0));
}

template <typename T>
void forward(const ArrayView& q_view, const ArrayView& k_view, const ArrayView& v_view, double scale,
             const ArrayView& out_view, const ArrayView& logsumexp) {
  const Sizes s = sizes_of(q_view, k_view);
  const HeadRows<T> q(q_view), k(k_view), v(v_view), out(out_view);
  parallel_for(s.batch * s.heads, s.work(), [&](int64_t entry) {
    const int64_t b = entry / s.heads, h = entry % s.heads, kv_h = h / s.group();
    const T* qe = q.at(b, h);
    const T* ke = k.at(b, kv_h);
    const T* ve = v.at(b, kv_h);
    T* oe = out.at(b, h);
    T* le = logsumexp.as<T>() + entry * s.tokens;
    thread_local std::vector<T> scratch;
    scratch.resize(size_t(std::min(kQueryBlock, s.tokens) * s.keys));
    for (int64_t i0 = 0; i0 < s.tokens; i0 += kQueryBlock) {
      const int64_t rows = std::min(kQueryBlock, s.tokens - i0), visible = s.visible(i0, rows);
      T* p = scratch.data();  // [rows, visible]
      gemm(false, true, rows, visible, s.dim, T(scale), qe + i0 * q.row_stride, q.row_stride, ke, k.row_stride,
           T(0), p, visible);
      for (int64_t r = 0; r < rows; ++r)
        le[i0 + r] = softmax_prefix(p + r * visible, s.offset() + i0 + r + 1, visible);
      gemm(false, false, rows, s.dim, visible, T(1), p, visible, ve, v.row_stride, T(0), oe + i0 * out.row_stride,
           out.row_stride);
    }
  });
}

template <typename T>
void backward(const ArrayView& q_view, const ArrayView& k_view, const ArrayView& v_view, const ArrayView& out_view,
              const ArrayView& logsumexp, double scale, const ArrayView& grad_out_view,
              const ArrayView& grad_q_view, const ArrayView& grad_k_view, const ArrayView& grad_v_view) {
  const Sizes s = sizes_of(q_view, k_view);
  const HeadRows<T> q(q_view), k(k_view), v(v_view), out(out_view), grad_out(grad_out_view);
  const HeadRows<T> grad_q(grad_q_view), grad_k(grad_k_view), grad_v(grad_v_view);
  parallel_for(s.batch * s.kv_heads, s.work() * s.group(), [&](int64_t kv_entry) {
    const int64_t b = kv_entry / s.kv_heads, kv_h = kv_entry % s.kv_heads;
    const T* ke = k.at(b, kv_h);
    const T* ve = v.at(b, kv_h);
    T* dk = grad_k.at(b, kv_h);
    T* dv = grad_v.at(b, kv_h);
    for (int64_t j = 0; j < s.keys; ++j) {
      std::fill(dk + j * grad_k.row_stride, dk + j * grad_k.row_stride + s.dim, T(0));
      std::fill(dv + j * grad_v.row_stride, dv + j * grad_v.row_stride + s.dim, T(0));
    }
    // P and dS of one block, [rows, visible] each.
    const size_t block_size = size_t(std::min(kQueryBlock, s.tokens) * s.keys);
    thread_local std::vector<T> probabilities_scratch, scores_grad_scratch;
    probabilities_scratch.resize(block_size);
    scores_grad_scratch.resize(block_size);
    for (int64_t h = kv_h * s.group(); h < (kv_h + 1) * s.group(); ++h) {
      const T* qe = q.at(b, h);
      const T* oe = out.at(b, h);
      const T* goe = grad_out.at(b, h);
      T* dqe = grad_q.at(b, h);
      const T* le = logsumexp.as<T>() + (b * s.heads + h) * s.tokens;
      for (int64_t i0 = 0; i0 < s.tokens; i0 += kQueryBlock) {
        const int64_t rows = std::min(kQueryBlock, s.tokens - i0), visible = s.visible(i0, rows);
        const T* go = goe + i0 * grad_out.row_stride;
        const T* qi = qe + i0 * q.row_stride;
        T* p = probabilities_scratch.data();
        T* ds = scores_grad_scratch.data();
        gemm(false, true, rows, visible, s.dim, T(scale), qi, q.row_stride, ke, k.row_stride, T(0), p, visible);
        gemm(false, true, rows, visible, s.dim, T(1), go, grad_out.row_stride, ve, v.row_stride, T(0), ds, visible);
        for (int64_t r = 0; r < rows; ++r) {
          probabilities_from(p + r * visible, le[i0 + r], s.offset() + i0 + r + 1, visible);
          // delta = dO . O for this query; masked keys have p = 0, so their dS is 0 without a test.
          const T* o_row = oe + (i0 + r) * out.row_stride;
          const T* go_row = go + r * grad_out.row_stride;
          T delta = 0;
          for (int64_t d = 0; d < s.dim; ++d) delta += go_row[d] * o_row[d];
          ArrayMap<T> pr(p + r * visible, visible), dr(ds + r * visible, visible);
          dr = T(scale) * pr * (dr - delta);
        }
        gemm(false, false, rows, s.dim, visible, T(1), ds, visible, ke, k.row_stride, T(0),
             dqe + i0 * grad_q.row_stride, grad_q.row_stride);
        gemm(true, false, visible, s.dim, rows, T(1), ds, visible, qi, q.row_stride, T(1), dk, grad_k.row_stride);
        gemm(true, false, visible, s.dim, rows, T(1), p, visible, go, grad_out.row_stride, T(1), dv,
             grad_v.row_stride);
      }
    }
  });
}

}  // namespace

void CpuBackend::causal_attention(const ArrayView& q, const ArrayView& k, const ArrayView& v, double scale,
                                  const ArrayView& out, const ArrayView& logsumexp) {
  if (q.dtype == DType::Float64) forward<double>(q, k, v, scale, out, logsumexp);
  else forward<float>(q, k, v, scale, out, logsumexp);
}

void CpuBackend::causal_attention_backward(const ArrayView& q, const ArrayView& k, const ArrayView& v,
                                           const ArrayView& out, const ArrayView& logsumexp, double scale,
                                           const ArrayView& grad_out, const ArrayView& grad_q,
                                           const ArrayView& grad_k, const ArrayView& grad_v) {
  if (q.dtype == DType::Float64)
    backward<double>(q, k, v, out, logsumexp, scale, grad_out, grad_q, grad_k, grad_v);
  else backward<float>(q, k, v, out, logsumexp, scale, grad_out, grad_q, grad_k, grad_v);
}

}  // namespace bytegrad::kernels::cpu
