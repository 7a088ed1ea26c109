// Causal attention on the Backend's contract (kernels/backend.h): the forward pass writes the
// probabilities [B, H, T, S] (zero beyond each query's visible keys) and the backward pass reads
// them. For one (batch, head) with queries i and keys j <= offset + i, as on the CPU
// (kernels/cpu/causal_attention.cpp):
//   forward:  P = softmax(scale * Q K^T) over the visible keys,  O = P V
//   backward: dP = dO V^T,  dS = scale * P * (dP - rowsum(P * dP)),
//             dQ = dS K,  dK = dS^T Q,  dV = P^T dO
// One block per query row computes its scores, softmax and output (and, backward, its dS row and
// dQ); one block per key row then sums dK and dV over the query heads that share it and the
// queries that see it, in a fixed order, so no two blocks add into one element and nothing needs
// atomics. The masked keys are never computed. float32 and float64.
//
// This is the portable kernel, the reference for faster ones: it reads K and V once per query
// row, where a flash-style kernel would tile them through shared memory and keep no [T, S] matrix.
#include "kernels/cuda/cuda_backend.h"
#include "kernels/cuda/rows.cuh"
#include "kernels/cuda/scratch.h"

namespace bytegrad::kernels::cuda {
namespace {

// One [B, H, rows, D] array whose rows are dense but may sit anywhere (heads split from a packed
// projection, or a transposed output).
template <typename T>
struct HeadRows {
  T* data;
  int64_t batch_stride, head_stride, row_stride;
  __device__ T* row(int64_t b, int64_t h, int64_t r) const {
    return data + b * batch_stride + h * head_stride + r * row_stride;
  }
};

template <typename T>
HeadRows<T> head_rows(const ArrayView& a) {
  return {static_cast<T*>(a.data), a.strides[0], a.strides[1], a.strides[2]};
}

// The sizes of one call, read from q [B, H, T, D] and k [B, H_kv, S, D].
struct Sizes {
  int64_t batch, heads, kv_heads, tokens, keys, dim;
  __device__ int64_t group() const { return heads / kv_heads; }
  __device__ int64_t offset() const { return keys - tokens; }  // the position of query 0
};

Sizes sizes_of(const ArrayView& q, const ArrayView& k) {
  return {q.shape[0], q.shape[1], k.shape[1], q.shape[2], k.shape[2], q.shape[3]};
}

template <typename T>
__device__ T dot(const T* a, const T* b, int64_t n) {
  T sum = 0;
  for (int64_t d = 0; d < n; ++d) sum += a[d] * b[d];
  return sum;
}

// Block `row` = (b, h, i) of the query rows.
template <typename T>
__global__ void causal_attention_kernel(HeadRows<const T> q, HeadRows<const T> k,
                                        HeadRows<const T> v, T scale, HeadRows<T> out,
                                        T* probabilities, Sizes s) {
  for (int64_t row = blockIdx.x; row < s.batch * s.heads * s.tokens; row += gridDim.x) {
    const int64_t i = row % s.tokens, h = row / s.tokens % s.heads, b = row / (s.tokens * s.heads);
    const int64_t kv = h / s.group(), visible = s.offset() + i + 1;
    const T* qi = q.row(b, h, i);
    T* p = probabilities + row * s.keys;
    T peak = negative_infinity<T>();
    for (int64_t j = threadIdx.x; j < s.keys; j += blockDim.x) {
      if (j >= visible) {
        p[j] = T(0);
        continue;
      }
      p[j] = scale * dot(qi, k.row(b, kv, j), s.dim);
      peak = MaxOp{}(peak, p[j]);
    }
    peak = block_reduce(peak, negative_infinity<T>(), MaxOp{});
    T sum = 0;
    for (int64_t j = threadIdx.x; j < visible; j += blockDim.x) {
      p[j] = exp_of(p[j] - peak);
      sum += p[j];
    }
    sum = block_reduce(sum, T(0), SumOp{});
    for (int64_t j = threadIdx.x; j < visible; j += blockDim.x) p[j] /= sum;
    __syncthreads();  // every probability is written before any thread reads the row
    T* o = out.row(b, h, i);
    for (int64_t d = threadIdx.x; d < s.dim; d += blockDim.x) {
      T acc = 0;
      for (int64_t j = 0; j < visible; ++j) acc += p[j] * v.row(b, kv, j)[d];
      o[d] = acc;
    }
  }
}

// Block `row` = (b, h, i): the row's dS (into `scores_grad`, laid out as the probabilities) and dQ.
template <typename T>
__global__ void causal_attention_query_gradient_kernel(HeadRows<const T> k, HeadRows<const T> v,
                                                       const T* probabilities, T scale,
                                                       HeadRows<const T> grad_out, T* scores_grad,
                                                       HeadRows<T> grad_q, Sizes s) {
  for (int64_t row = blockIdx.x; row < s.batch * s.heads * s.tokens; row += gridDim.x) {
    const int64_t i = row % s.tokens, h = row / s.tokens % s.heads, b = row / (s.tokens * s.heads);
    const int64_t kv = h / s.group(), visible = s.offset() + i + 1;
    const T* p = probabilities + row * s.keys;
    const T* go = grad_out.row(b, h, i);
    T* ds = scores_grad + row * s.keys;
    T p_dot_dp = 0;
    for (int64_t j = threadIdx.x; j < visible; j += blockDim.x) {
      ds[j] = dot(go, v.row(b, kv, j), s.dim);  // dP, until it becomes dS below
      p_dot_dp += p[j] * ds[j];
    }
    p_dot_dp = block_reduce(p_dot_dp, T(0), SumOp{});
    for (int64_t j = threadIdx.x; j < visible; j += blockDim.x)
      ds[j] = scale * p[j] * (ds[j] - p_dot_dp);
    __syncthreads();  // the whole dS row is written before any thread reads it
    T* gq = grad_q.row(b, h, i);
    for (int64_t d = threadIdx.x; d < s.dim; d += blockDim.x) {
      T acc = 0;
      for (int64_t j = 0; j < visible; ++j) acc += ds[j] * k.row(b, kv, j)[d];
      gq[d] = acc;
    }
  }
}

// Block `row` = (b, kv, j) of the key rows: dK and dV over the query heads of the group and the
// queries that see key j (i >= j - offset), in head and query order.
template <typename T>
__global__ void causal_attention_key_gradient_kernel(HeadRows<const T> q, const T* probabilities,
                                                     HeadRows<const T> grad_out,
                                                     const T* scores_grad, HeadRows<T> grad_k,
                                                     HeadRows<T> grad_v, Sizes s) {
  for (int64_t row = blockIdx.x; row < s.batch * s.kv_heads * s.keys; row += gridDim.x) {
    const int64_t j = row % s.keys, kv = row / s.keys % s.kv_heads, b = row / (s.keys * s.kv_heads);
    const int64_t first_query = j - s.offset() > 0 ? j - s.offset() : 0;
    for (int64_t d = threadIdx.x; d < s.dim; d += blockDim.x) {
      T dk = 0, dv = 0;
      for (int64_t h = kv * s.group(); h < (kv + 1) * s.group(); ++h)
        for (int64_t i = first_query; i < s.tokens; ++i) {
          const int64_t at = ((b * s.heads + h) * s.tokens + i) * s.keys + j;
          dk += scores_grad[at] * q.row(b, h, i)[d];
          dv += probabilities[at] * grad_out.row(b, h, i)[d];
        }
      grad_k.row(b, kv, j)[d] = dk;
      grad_v.row(b, kv, j)[d] = dv;
    }
  }
}

}  // namespace

void CudaBackend::causal_attention(const ArrayView& q, const ArrayView& k, const ArrayView& v,
                                   double scale, const ArrayView& out,
                                   const ArrayView& probabilities) {
  const Sizes s = sizes_of(q, k);
  if (s.tokens == 0 || s.keys == 0) return;
  activate();
  visit_float_or_double(q.dtype, "causal_attention", [&]<typename T>() {
    launch_rows("causal_attention", causal_attention_kernel<T>, stream_,
                s.batch * s.heads * s.tokens, s.keys, head_rows<const T>(q), head_rows<const T>(k),
                head_rows<const T>(v), T(scale), head_rows<T>(out), output<T>(probabilities), s);
  });
}

void CudaBackend::causal_attention_backward(const ArrayView& q, const ArrayView& k,
                                            const ArrayView& v, const ArrayView& probabilities,
                                            double scale, const ArrayView& grad_out,
                                            const ArrayView& grad_q, const ArrayView& grad_k,
                                            const ArrayView& grad_v) {
  const Sizes s = sizes_of(q, k);
  if (s.tokens == 0 || s.keys == 0) return;
  activate();
  visit_float_or_double(q.dtype, "causal_attention_backward", [&]<typename T>() {
    // dS, laid out as the probabilities.
    const Scratch<T> scores_grad(*this, size_t(s.batch * s.heads * s.tokens * s.keys));
    launch_rows("causal_attention_backward (queries)", causal_attention_query_gradient_kernel<T>,
                stream_, s.batch * s.heads * s.tokens, s.keys, head_rows<const T>(k),
                head_rows<const T>(v), input<T>(probabilities), T(scale),
                head_rows<const T>(grad_out), scores_grad.data(), head_rows<T>(grad_q), s);
    launch_rows("causal_attention_backward (keys)", causal_attention_key_gradient_kernel<T>,
                stream_, s.batch * s.kv_heads * s.keys, s.dim, head_rows<const T>(q),
                input<T>(probabilities), head_rows<const T>(grad_out), scores_grad.data(),
                head_rows<T>(grad_k), head_rows<T>(grad_v), s);
  });
}

}  // namespace bytegrad::kernels::cuda
