// Causal attention with grouped key/value heads, the plain way: the Backend interface keeps the
// probabilities [B, H, T, S] for the backward pass, so each query row's scores are computed over
// its visible keys only, turned into probabilities in place, and multiplied by V. For one
// (batch, head) with queries i and keys j <= offset + i (offset = S - T):
//   forward:  P = softmax(scale * Q K^T) over the visible keys,  O = P V
//   backward: dP = dO V^T,  dS = scale * P * (dP - rowsum(P * dP)),
//             dQ = dS K,  dK = dS^T Q,  dV = P^T dO   (dK, dV summed over the heads of a group)
// Forward and the dS/dQ pass run a block per query row; dK and dV a block per key row, which
// adds over its group's query heads and rows in order: no atomics, the same sums on every run.
// (A flash-style kernel that never writes P is the GPU's fast path; this is its reference.)
#include <cmath>

#include "base/error.h"
#include "kernels/cuda/block_reduce.h"
#include "kernels/cuda/cuda_backend.h"
#include "kernels/cuda/cuda_check.h"
#include "kernels/cuda/cuda_compat.h"

namespace bytegrad::kernels::cuda {
namespace {

// The sizes of one call, read from q [B, H, T, D] and k [B, H_kv, S, D].
struct Sizes {
  int64_t batch, heads, kv_heads, tokens, keys, dim;
  __host__ __device__ int64_t group() const { return heads / kv_heads; }
  __host__ __device__ int64_t offset() const { return keys - tokens; }  // the position of query 0
};

// One [B, H, rows, D] array whose rows are dense but may sit anywhere (views of packed
// projections): element (b, h, row, d).
template <typename T> struct HeadRows {
  T* data;
  int64_t batch_stride, head_stride, row_stride;
  __device__ __forceinline__ T* row(int64_t b, int64_t h, int64_t r) const {
    return data + b * batch_stride + h * head_stride + r * row_stride;
  }
};

template <typename T> HeadRows<T> head_rows(const ArrayView& a) {
  // A single row may carry any stride.
  return {static_cast<T*>(a.data), a.strides[0], a.strides[1], a.strides[2] > a.shape[3] ? a.strides[2] : a.shape[3]};
}

template <typename T>
__global__ void attention_forward_kernel(Sizes s, T scale, HeadRows<const T> q, HeadRows<const T> k,
                                         HeadRows<const T> v, HeadRows<T> out, T* probabilities) {
  const int64_t rows = s.batch * s.heads * s.tokens;
  for (int64_t entry = blockIdx.x; entry < rows; entry += gridDim.x) {
    const int64_t b = entry / (s.heads * s.tokens), h = entry / s.tokens % s.heads, i = entry % s.tokens;
    const int64_t kv_h = h / s.group(), visible = s.offset() + i + 1;
    const T* qi = q.row(b, h, i);
    T* p = probabilities + entry * s.keys;
    T peak = -INFINITY;
    for (int64_t j = threadIdx.x; j < s.keys; j += blockDim.x) {
      if (j >= visible) {
        p[j] = T(0);
        continue;
      }
      const T* kj = k.row(b, kv_h, j);
      T dot = T(0);
      for (int64_t d = 0; d < s.dim; ++d) dot += qi[d] * kj[d];
      p[j] = scale * dot;
      peak = p[j] > peak ? p[j] : peak;
    }
    peak = block_reduce(peak, T(-INFINITY), [](T a, T c) { return a > c ? a : c; });
    T partial = T(0);
    for (int64_t j = threadIdx.x; j < visible; j += blockDim.x) {
      p[j] = std::exp(p[j] - peak);
      partial += p[j];
    }
    const T total = block_reduce(partial, T(0), [](T a, T c) { return a + c; });
    for (int64_t j = threadIdx.x; j < visible; j += blockDim.x) p[j] /= total;
    __syncthreads();  // every probability of the row is written before any thread reads them
    T* o = out.row(b, h, i);
    for (int64_t d = threadIdx.x; d < s.dim; d += blockDim.x) {
      T sum = T(0);
      for (int64_t j = 0; j < visible; ++j) sum += p[j] * v.row(b, kv_h, j)[d];
      o[d] = sum;
    }
    __syncthreads();  // the next row's first phase must not overtake this one's reads of p
  }
}

// dS of each query row into `scores_grad` [B, H, T, S], then dQ = dS K.
template <typename T>
__global__ void attention_backward_queries_kernel(Sizes s, T scale, HeadRows<const T> k, HeadRows<const T> v,
                                                  const T* probabilities, HeadRows<const T> grad_out,
                                                  T* scores_grad, HeadRows<T> grad_q) {
  const int64_t rows = s.batch * s.heads * s.tokens;
  for (int64_t entry = blockIdx.x; entry < rows; entry += gridDim.x) {
    const int64_t b = entry / (s.heads * s.tokens), h = entry / s.tokens % s.heads, i = entry % s.tokens;
    const int64_t kv_h = h / s.group(), visible = s.offset() + i + 1;
    const T* p = probabilities + entry * s.keys;
    const T* go = grad_out.row(b, h, i);
    T* ds = scores_grad + entry * s.keys;
    T partial = T(0);
    for (int64_t j = threadIdx.x; j < s.keys; j += blockDim.x) {
      if (j >= visible) {
        ds[j] = T(0);
        continue;
      }
      const T* vj = v.row(b, kv_h, j);
      T dot = T(0);
      for (int64_t d = 0; d < s.dim; ++d) dot += go[d] * vj[d];
      ds[j] = dot;  // dP for now
      partial += p[j] * dot;
    }
    const T projection = block_reduce(partial, T(0), [](T a, T c) { return a + c; });
    for (int64_t j = threadIdx.x; j < visible; j += blockDim.x) ds[j] = scale * p[j] * (ds[j] - projection);
    __syncthreads();
    T* dq = grad_q.row(b, h, i);
    for (int64_t d = threadIdx.x; d < s.dim; d += blockDim.x) {
      T sum = T(0);
      for (int64_t j = 0; j < visible; ++j) sum += ds[j] * k.row(b, kv_h, j)[d];
      dq[d] = sum;
    }
    __syncthreads();
  }
}

// dK = dS^T Q and dV = P^T dO for each key row, over the query heads of its group.
template <typename T>
__global__ void attention_backward_keys_kernel(Sizes s, HeadRows<const T> q, const T* probabilities,
                                               HeadRows<const T> grad_out, const T* scores_grad, HeadRows<T> grad_k,
                                               HeadRows<T> grad_v) {
  const int64_t rows = s.batch * s.kv_heads * s.keys;
  for (int64_t entry = blockIdx.x; entry < rows; entry += gridDim.x) {
    const int64_t b = entry / (s.kv_heads * s.keys), kv_h = entry / s.keys % s.kv_heads, j = entry % s.keys;
    const int64_t first_query = j - s.offset() > 0 ? j - s.offset() : 0;  // the first query that sees key j
    T* dk = grad_k.row(b, kv_h, j);
    T* dv = grad_v.row(b, kv_h, j);
    for (int64_t d = threadIdx.x; d < s.dim; d += blockDim.x) {
      T sum_k = T(0), sum_v = T(0);
      for (int64_t h = kv_h * s.group(); h < (kv_h + 1) * s.group(); ++h) {
        const int64_t base = (b * s.heads + h) * s.tokens;
        for (int64_t i = first_query; i < s.tokens; ++i) {
          sum_k += scores_grad[(base + i) * s.keys + j] * q.row(b, h, i)[d];
          sum_v += probabilities[(base + i) * s.keys + j] * grad_out.row(b, h, i)[d];
        }
      }
      dk[d] = sum_k;
      dv[d] = sum_v;
    }
  }
}

Sizes sizes_of(const ArrayView& q, const ArrayView& k) {
  return {q.shape[0], q.shape[1], k.shape[1], q.shape[2], k.shape[2], q.shape[3]};
}

template <typename Fn> void visit_float_or_double(DType dtype, Fn&& fn) {
  if (dtype == DType::Float64) fn.template operator()<double>();
  else fn.template operator()<float>();
}

dim3 grid_for(int64_t rows) { return dim3(unsigned(rows < 4096 ? rows : 4096)); }

}  // namespace

void CudaBackend::causal_attention(const ArrayView& q, const ArrayView& k, const ArrayView& v, double scale,
                                   const ArrayView& out, const ArrayView& probabilities) {
  const Sizes s = sizes_of(q, k);
  const int64_t rows = s.batch * s.heads * s.tokens;
  if (rows == 0) return;
  activate();
  visit_float_or_double(q.dtype, [&]<typename T>() {
    launch(attention_forward_kernel<T>, grid_for(rows), dim3(reduction_threads(s.keys)), 0, stream_, s, T(scale),
           head_rows<const T>(q), head_rows<const T>(k), head_rows<const T>(v), head_rows<T>(out),
           static_cast<T*>(probabilities.data));
  });
  BYTEGRAD_CUDA_CHECK_LAUNCH("attention_forward_kernel");
}

void CudaBackend::causal_attention_backward(const ArrayView& q, const ArrayView& k, const ArrayView& v,
                                            const ArrayView& probabilities, double scale, const ArrayView& grad_out,
                                            const ArrayView& grad_q, const ArrayView& grad_k,
                                            const ArrayView& grad_v) {
  const Sizes s = sizes_of(q, k);
  const int64_t query_rows = s.batch * s.heads * s.tokens, key_rows = s.batch * s.kv_heads * s.keys;
  if (query_rows == 0 && key_rows == 0) return;
  activate();
  visit_float_or_double(q.dtype, [&]<typename T>() {
    // dS, like P, is [B, H, T, S]; freed as soon as the kernels are issued (the stream runs in
    // order, so a later allocation of the block cannot be written before they finish).
    const size_t bytes = size_t(query_rows * s.keys) * sizeof(T);
    T* scores_grad = static_cast<T*>(allocator_.allocate(bytes));
    if (query_rows > 0)
      launch(attention_backward_queries_kernel<T>, grid_for(query_rows), dim3(reduction_threads(s.keys)), 0, stream_,
             s, T(scale), head_rows<const T>(k), head_rows<const T>(v), static_cast<const T*>(probabilities.data),
             head_rows<const T>(grad_out), scores_grad, head_rows<T>(grad_q));
    if (key_rows > 0)
      launch(attention_backward_keys_kernel<T>, grid_for(key_rows), dim3(reduction_threads(s.dim)), 0, stream_, s,
             head_rows<const T>(q), static_cast<const T*>(probabilities.data), head_rows<const T>(grad_out),
             static_cast<const T*>(scores_grad), head_rows<T>(grad_k), head_rows<T>(grad_v));
    allocator_.deallocate(scores_grad, bytes);
  });
  BYTEGRAD_CUDA_CHECK_LAUNCH("attention_backward_kernels");
}

}  // namespace bytegrad::kernels::cuda
