// Causal attention that skips the masked half. Queries are taken in blocks of kQueryBlock rows;
// a block's products run only over the keys its last query sees, so above the diagonal only
// the keys inside the diagonal block are computed (and then zeroed), not the whole upper
// triangle. For one (batch, head) with queries i and keys j <= offset + i:
//   forward:  P = softmax(scale * Q K^T) over the visible keys,  O = P V
//   backward: dP = dO V^T,  dS = scale * P * (dP - rowsum(P * dP)),
//             dQ = dS K,  dK = dS^T Q,  dV = P^T dO
// Each (batch, head) runs on one thread with single-threaded BLAS calls (OpenBLAS keeps to one
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
void forward(const ArrayView& q, const ArrayView& k, const ArrayView& v, double scale,
             const ArrayView& out, const ArrayView& probabilities) {
  const Sizes s = sizes_of(q, k);
  parallel_for(s.batch * s.heads, s.work(), [&](int64_t entry) {
    const int64_t kv_entry = (entry / s.heads) * s.kv_heads + (entry % s.heads) / s.group();
    const T* qe = q.as<T>() + entry * s.tokens * s.dim;
    const T* ke = k.as<T>() + kv_entry * s.keys * s.dim;
    const T* ve = v.as<T>() + kv_entry * s.keys * s.dim;
    T* pe = probabilities.as<T>() + entry * s.tokens * s.keys;
    T* oe = out.as<T>() + entry * s.tokens * s.dim;
    for (int64_t i0 = 0; i0 < s.tokens; i0 += kQueryBlock) {
      const int64_t rows = std::min(kQueryBlock, s.tokens - i0), visible = s.visible(i0, rows);
      T* p = pe + i0 * s.keys;  // [rows, S], of which the first `visible` columns are computed
      gemm(false, true, rows, visible, s.dim, T(scale), qe + i0 * s.dim, s.dim, ke, s.dim, T(0), p, s.keys);
      for (int64_t r = 0; r < rows; ++r) softmax_prefix(p + r * s.keys, s.offset() + i0 + r + 1, s.keys);
      gemm(false, false, rows, s.dim, visible, T(1), p, s.keys, ve, s.dim, T(0), oe + i0 * s.dim, s.dim);
    }
  });
}

template <typename T>
void backward(const ArrayView& q, const ArrayView& k, const ArrayView& v, const ArrayView& probabilities,
              double scale, const ArrayView& grad_out, const ArrayView& grad_q, const ArrayView& grad_k,
              const ArrayView& grad_v) {
  const Sizes s = sizes_of(q, k);
  parallel_for(s.batch * s.kv_heads, s.work() * s.group(), [&](int64_t kv_entry) {
    const T* ke = k.as<T>() + kv_entry * s.keys * s.dim;
    const T* ve = v.as<T>() + kv_entry * s.keys * s.dim;
    T* dk = grad_k.as<T>() + kv_entry * s.keys * s.dim;
    T* dv = grad_v.as<T>() + kv_entry * s.keys * s.dim;
    std::fill(dk, dk + s.keys * s.dim, T(0));
    std::fill(dv, dv + s.keys * s.dim, T(0));
    std::vector<T> scores_grad(size_t(kQueryBlock * s.keys));  // dP, then dS, of one block
    const int64_t first_head = (kv_entry / s.kv_heads) * s.heads + (kv_entry % s.kv_heads) * s.group();
    for (int64_t entry = first_head; entry < first_head + s.group(); ++entry) {
      const T* qe = q.as<T>() + entry * s.tokens * s.dim;
      const T* pe = probabilities.as<T>() + entry * s.tokens * s.keys;
      const T* goe = grad_out.as<T>() + entry * s.tokens * s.dim;
      T* dqe = grad_q.as<T>() + entry * s.tokens * s.dim;
      for (int64_t i0 = 0; i0 < s.tokens; i0 += kQueryBlock) {
        const int64_t rows = std::min(kQueryBlock, s.tokens - i0), visible = s.visible(i0, rows);
        const T* p = pe + i0 * s.keys;
        const T* go = goe + i0 * s.dim;
        T* ds = scores_grad.data();  // [rows, visible]
        gemm(false, true, rows, visible, s.dim, T(1), go, s.dim, ve, s.dim, T(0), ds, visible);
        for (int64_t r = 0; r < rows; ++r) {
          // Masked keys have p = 0, so their dS is 0 without a test.
          Eigen::Map<const Eigen::Array<T, Eigen::Dynamic, 1>> pr(p + r * s.keys, visible);
          Eigen::Map<Eigen::Array<T, Eigen::Dynamic, 1>> dr(ds + r * visible, visible);
          const T projection = (pr * dr).sum();
          dr = T(scale) * pr * (dr - projection);
        }
        gemm(false, false, rows, s.dim, visible, T(1), ds, visible, ke, s.dim, T(0), dqe + i0 * s.dim, s.dim);
        gemm(true, false, visible, s.dim, rows, T(1), ds, visible, qe + i0 * s.dim, s.dim, T(1), dk, s.dim);
        gemm(true, false, visible, s.dim, rows, T(1), p, s.keys, go, s.dim, T(1), dv, s.dim);
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
