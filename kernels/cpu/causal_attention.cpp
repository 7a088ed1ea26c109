// Causal attention that skips the masked half. Queries are taken in blocks of kQueryBlock rows;
// a block's products run only over the keys its last query sees, so above the diagonal only
// the keys inside the diagonal block are computed (and then zeroed), not the whole upper
// triangle. For one (batch, head) with queries i and keys j <= offset + i:
//   forward:  P = softmax(scale * Q K^T) over the visible keys,  O = P V
//   backward: dP = dO V^T,  dS = scale * P * (dP - rowsum(P * dP)),
//             dQ = dS K,  dK = dS^T Q,  dV = P^T dO
// q, k, v, out and the gradients may be strided views (their rows dense), so that heads split
// from one packed projection need no copies. Each (batch, head) runs on one thread with single-threaded BLAS calls (OpenBLAS keeps to one
// thread inside an OpenMP region); the backward pass runs per key/value head so that the query
// heads sharing it add into its dK and dV one after another.
#include <cblas.h>

#include <Eigen/Core>
#include <algorithm>
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

// Softmax over the first `visible` entries of a row of `length`; the rest become 0.
template <typename T>
void softmax_prefix(T* row, int64_t visible, int64_t length) {
  Eigen::Map<Eigen::Array<T, Eigen::Dynamic, 1>> seen(row, visible);
  const T largest = seen.maxCoeff();
  seen = (seen - largest).exp();
  seen /= seen.sum();
  std::fill(row + visible, row + length, T(0));
}

template <typename T>
void forward(const ArrayView& q_view, const ArrayView& k_view, const ArrayView& v_view, double scale,
             const ArrayView& out_view, const ArrayView& probabilities) {
  const Sizes s = sizes_of(q_view, k_view);
  const HeadRows<T> q(q_view), k(k_view), v(v_view), out(out_view);
  parallel_for(s.batch * s.heads, s.work(), [&](int64_t entry) {
    const int64_t b = entry / s.heads, h = entry % s.heads, kv_h = h / s.group();
    const T* qe = q.at(b, h);
    const T* ke = k.at(b, kv_h);
    const T* ve = v.at(b, kv_h);
    T* oe = out.at(b, h);
    T* pe = probabilities.as<T>() + entry * s.tokens * s.keys;
    for (int64_t i0 = 0; i0 < s.tokens; i0 += kQueryBlock) {
      const int64_t rows = std::min(kQueryBlock, s.tokens - i0), visible = s.visible(i0, rows);
      T* p = pe + i0 * s.keys;  // [rows, S], of which the first `visible` columns are computed
      gemm(false, true, rows, visible, s.dim, T(scale), qe + i0 * q.row_stride, q.row_stride, ke, k.row_stride,
           T(0), p, s.keys);
      for (int64_t r = 0; r < rows; ++r) softmax_prefix(p + r * s.keys, s.offset() + i0 + r + 1, s.keys);
      gemm(false, false, rows, s.dim, visible, T(1), p, s.keys, ve, v.row_stride, T(0), oe + i0 * out.row_stride,
           out.row_stride);
    }
  });
}

template <typename T>
void backward(const ArrayView& q_view, const ArrayView& k_view, const ArrayView& v_view,
              const ArrayView& probabilities, double scale, const ArrayView& grad_out_view,
              const ArrayView& grad_q_view, const ArrayView& grad_k_view, const ArrayView& grad_v_view) {
  const Sizes s = sizes_of(q_view, k_view);
  const HeadRows<T> q(q_view), k(k_view), v(v_view), grad_out(grad_out_view);
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
    std::vector<T> scores_grad(size_t(kQueryBlock * s.keys));  // dP, then dS, of one block
    for (int64_t h = kv_h * s.group(); h < (kv_h + 1) * s.group(); ++h) {
      const T* qe = q.at(b, h);
      const T* goe = grad_out.at(b, h);
      T* dqe = grad_q.at(b, h);
      const T* pe = probabilities.as<T>() + (b * s.heads + h) * s.tokens * s.keys;
      for (int64_t i0 = 0; i0 < s.tokens; i0 += kQueryBlock) {
        const int64_t rows = std::min(kQueryBlock, s.tokens - i0), visible = s.visible(i0, rows);
        const T* p = pe + i0 * s.keys;
        const T* go = goe + i0 * grad_out.row_stride;
        const T* qi = qe + i0 * q.row_stride;
        T* ds = scores_grad.data();  // [rows, visible]
        gemm(false, true, rows, visible, s.dim, T(1), go, grad_out.row_stride, ve, v.row_stride, T(0), ds, visible);
        for (int64_t r = 0; r < rows; ++r) {
          // Masked keys have p = 0, so their dS is 0 without a test.
          Eigen::Map<const Eigen::Array<T, Eigen::Dynamic, 1>> pr(p + r * s.keys, visible);
          Eigen::Map<Eigen::Array<T, Eigen::Dynamic, 1>> dr(ds + r * visible, visible);
          const T projection = (pr * dr).sum();
          dr = T(scale) * pr * (dr - projection);
        }
        gemm(false, false, rows, s.dim, visible, T(1), ds, visible, ke, k.row_stride, T(0),
             dqe + i0 * grad_q.row_stride, grad_q.row_stride);
        gemm(true, false, visible, s.dim, rows, T(1), ds, visible, qi, q.row_stride, T(1), dk, grad_k.row_stride);
        gemm(true, false, visible, s.dim, rows, T(1), p, s.keys, go, grad_out.row_stride, T(1), dv,
             grad_v.row_stride);
      }
    }
  });
}

}  // namespace

void CpuBackend::causal_attention(const ArrayView& q, const ArrayView& k, const ArrayView& v, double scale,
                                  const ArrayView& out, const ArrayView& probabilities) {
  if (q.dtype == DType::Float64) forward<double>(q, k, v, scale, out, probabilities);
  else forward<float>(q, k, v, scale, out, probabilities);
}

void CpuBackend::causal_attention_backward(const ArrayView& q, const ArrayView& k, const ArrayView& v,
                                           const ArrayView& probabilities, double scale,
                                           const ArrayView& grad_out, const ArrayView& grad_q,
                                           const ArrayView& grad_k, const ArrayView& grad_v) {
  if (q.dtype == DType::Float64)
    backward<double>(q, k, v, probabilities, scale, grad_out, grad_q, grad_k, grad_v);
  else backward<float>(q, k, v, probabilities, scale, grad_out, grad_q, grad_k, grad_v);
}

}  // namespace bytegrad::kernels::cpu
