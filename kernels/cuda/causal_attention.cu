// Causal attention on CUDA without the [T, S] score matrix: flash attention's online softmax.
// One thread owns one query row (forward, grad_q) or one key row (grad_k, grad_v); a block's
// threads load tiles of the rows they all read into shared memory, so each key (or query) row
// comes from global memory once per block rather than once per thread. For query i at position
// offset + i, keys 0 .. offset + i are visible (kernels/backend.h has the full contract).
//
//   forward:  for each tile of keys, scores s = scale * q . k_j; with m the running maximum and
//             l the running sum of exp(s - m), a tile's larger maximum m' rescales l and the
//             output accumulator by exp(m - m') once per tile (the online softmax), so one pass
//             over the keys gives out = acc / l and logsumexp = m + log l.
//   backward: delta_i = grad_out_i . out_i; p_ij = std::exp(scale * q_i . k_j - logsumexp_i) is
//             recomputed, dS_ij = p_ij (grad_out_i . v_j - delta_i);
//             grad_q_i = scale * sum_j dS_ij k_j (one thread per query, no atomics),
//             grad_k_j = scale * sum_i dS_ij q_i and grad_v_j = sum_i p_ij grad_out_i (one thread per
//             key, over every query head sharing it), so the result is deterministic.
//
// These are the portable kernels that run everywhere, the emulated device included: scalar
// arithmetic in the input's dtype (float or double), head dimensions up to 128. A tensor-core
// variant for a real GPU would be checked against them.
#include <algorithm>
#include <cmath>

#include "base/error.h"
#include "kernels/cuda/cuda_backend.h"
#include "kernels/cuda/cuda_check.h"
#include "kernels/cuda/cuda_compat.h"
#include "kernels/cuda/scratch.h"

namespace bytegrad::kernels::cuda {
namespace {

constexpr int64_t kMaxHeadDim = 128;

// Rows per tile, halved for double so that every kernel's shared memory stays within the 48 KiB
// a launch may use without opting in: at D = 128 the forward kernel holds 2 x 16 key/value rows
// and 32 accumulators (32 KiB of float), the grad_k/grad_v kernel 2 x 32 accumulators and 2 x 8
// query rows (40 KiB).
template <typename T> constexpr int kQueryRows = sizeof(T) == 4 ? 32 : 16;  // forward, grad_q
template <typename T> constexpr int kKeyTile = sizeof(T) == 4 ? 16 : 8;     // keys per shared tile
template <typename T> constexpr int kKeyRows = sizeof(T) == 4 ? 32 : 16;    // grad_k, grad_v
template <typename T> constexpr int kQueryTile = sizeof(T) == 4 ? 8 : 4;    // queries per shared tile

// A [B, H, rows, D] operand with dense rows anywhere in memory (heads of a packed projection).
struct HeadRows {
  int64_t batch_stride, head_stride, row_stride;
};

HeadRows head_rows(const ArrayView& a) {
  return {a.strides[0], a.strides[1], std::max(a.strides[2], a.shape[3])};
}

// The sizes every kernel reads, from q [B, H, T, D] and k [B, H_kv, S, D].
struct Sizes {
  int heads, kv_heads, tokens, keys, dim;
  __host__ __device__ int group() const { return heads / kv_heads; }
  __host__ __device__ int offset() const { return keys - tokens; }  // query 0's position
};

template <typename T>
__device__ __forceinline__ const T* row_of(const T* base, HeadRows r, int b, int h, int row) {
  return base + b * r.batch_stride + h * r.head_stride + int64_t(row) * r.row_stride;
}
template <typename T>
__device__ __forceinline__ T* row_of(T* base, HeadRows r, int b, int h, int row) {
  return base + b * r.batch_stride + h * r.head_stride + int64_t(row) * r.row_stride;
}

template <typename T>
__device__ __forceinline__ T dot(const T* a, const T* b, int n) {
  T sum = 0;
  for (int d = 0; d < n; ++d) sum += a[d] * b[d];
  return sum;
}

// Copies rows first .. first + count - 1 of one head (those below `limit`) into tile [count, D],
// every thread of the block taking a share of the elements.
template <typename T>
__device__ void load_rows(T* tile, const T* base, HeadRows r, int b, int h, int first, int count, int limit,
                          int dim) {
  for (int e = threadIdx.x; e < count * dim; e += blockDim.x) {
    const int row = first + e / dim;
    tile[e] = row < limit ? row_of(base, r, b, h, row)[e % dim] : T(0);
  }
}

// grid (query tiles, B * H), kQueryRows threads.
template <typename T>
__global__ void attention_forward_kernel(const T* q, HeadRows qr, const T* k, HeadRows kr, const T* v, HeadRows vr,
                                         T* out, HeadRows outr, T* logsumexp, Sizes s, T scale) {
  constexpr int tile_keys = kKeyTile<T>;
  BYTEGRAD_DYNAMIC_SHARED(T, shared);
  T* key_tile = shared;                          // [tile_keys, D]
  T* value_tile = key_tile + tile_keys * s.dim;  // [tile_keys, D]
  T* acc = value_tile + tile_keys * s.dim + threadIdx.x * s.dim;  // this thread's output row

  const int b = blockIdx.y / s.heads, h = blockIdx.y % s.heads, kv_h = h / s.group();
  const int first_query = blockIdx.x * blockDim.x, i = first_query + threadIdx.x;
  const bool active = i < s.tokens;
  const int block_end = first_query + int(blockDim.x) < s.tokens ? first_query + int(blockDim.x) : s.tokens;
  const int last_query = block_end - 1;
  const int keys_needed = s.offset() + last_query + 1;  // keys the block's last query sees
  const int sees = s.offset() + i;                      // this query's last visible key
  const T* qi = active ? row_of(q, qr, b, h, i) : nullptr;

  T running_max = -INFINITY, running_sum = 0;
  for (int d = 0; d < s.dim; ++d) acc[d] = 0;
  for (int j0 = 0; j0 < keys_needed; j0 += tile_keys) {
    load_rows(key_tile, k, kr, b, kv_h, j0, tile_keys, keys_needed, s.dim);
    load_rows(value_tile, v, vr, b, kv_h, j0, tile_keys, keys_needed, s.dim);
    __syncthreads();
    if (active && j0 <= sees) {
      T scores[tile_keys];
      T tile_max = running_max;
      for (int c = 0; c < tile_keys; ++c) {
        scores[c] = j0 + c <= sees ? scale * dot(qi, key_tile + c * s.dim, s.dim) : T(-INFINITY);
        tile_max = scores[c] > tile_max ? scores[c] : tile_max;
      }
      // tile_max is finite: key j0 <= sees is visible.
      const T correction = std::exp(running_max - tile_max);
      running_sum *= correction;
      for (int d = 0; d < s.dim; ++d) acc[d] *= correction;
      for (int c = 0; c < tile_keys; ++c) {
        if (j0 + c > sees) continue;  // a constant trip count keeps `scores` in registers
        const T p = std::exp(scores[c] - tile_max);
        running_sum += p;
        const T* vc = value_tile + c * s.dim;
        for (int d = 0; d < s.dim; ++d) acc[d] += p * vc[d];
      }
      running_max = tile_max;
    }
    __syncthreads();  // the tiles are overwritten next
  }
  if (active) {
    T* oi = row_of(out, outr, b, h, i);
    for (int d = 0; d < s.dim; ++d) oi[d] = acc[d] / running_sum;
    logsumexp[(int64_t(blockIdx.y) * s.tokens) + i] = running_max + std::log(running_sum);
  }
}

// delta[b, h, i] = grad_out_i . out_i, one thread per query row; grid over B * H * T.
template <typename T>
__global__ void attention_delta_kernel(const T* out, HeadRows outr, const T* grad_out, HeadRows gr, T* delta,
                                       Sizes s, int64_t rows) {
  const int64_t row = int64_t(blockIdx.x) * blockDim.x + threadIdx.x;
  if (row >= rows) return;
  const int i = int(row % s.tokens), bh = int(row / s.tokens), b = bh / s.heads, h = bh % s.heads;
  delta[row] = dot(row_of(grad_out, gr, b, h, i), row_of(out, outr, b, h, i), s.dim);
}

// grad_q, one thread per query row: grid (query tiles, B * H), kQueryRows threads.
template <typename T>
__global__ void attention_grad_q_kernel(const T* q, HeadRows qr, const T* k, HeadRows kr, const T* v, HeadRows vr,
                                        const T* grad_out, HeadRows gr, const T* logsumexp, const T* delta,
                                        T* grad_q, HeadRows gqr, Sizes s, T scale) {
  constexpr int tile_keys = kKeyTile<T>;
  BYTEGRAD_DYNAMIC_SHARED(T, shared);
  T* key_tile = shared;
  T* value_tile = key_tile + tile_keys * s.dim;
  T* acc = value_tile + tile_keys * s.dim + threadIdx.x * s.dim;

  const int b = blockIdx.y / s.heads, h = blockIdx.y % s.heads, kv_h = h / s.group();
  const int first_query = blockIdx.x * blockDim.x, i = first_query + threadIdx.x;
  const bool active = i < s.tokens;
  const int block_end = first_query + int(blockDim.x) < s.tokens ? first_query + int(blockDim.x) : s.tokens;
  const int keys_needed = s.offset() + block_end;
  const int sees = s.offset() + i;
  const int64_t row = int64_t(blockIdx.y) * s.tokens + i;
  const T* qi = active ? row_of(q, qr, b, h, i) : nullptr;
  const T* gi = active ? row_of(grad_out, gr, b, h, i) : nullptr;
  const T lse = active ? logsumexp[row] : T(0), di = active ? delta[row] : T(0);

  for (int d = 0; d < s.dim; ++d) acc[d] = 0;
  for (int j0 = 0; j0 < keys_needed; j0 += tile_keys) {
    load_rows(key_tile, k, kr, b, kv_h, j0, tile_keys, keys_needed, s.dim);
    load_rows(value_tile, v, vr, b, kv_h, j0, tile_keys, keys_needed, s.dim);
    __syncthreads();
    if (active)
      for (int c = 0; c < tile_keys && j0 + c <= sees; ++c) {
        const T* kc = key_tile + c * s.dim;
        const T p = std::exp(scale * dot(qi, kc, s.dim) - lse);
        const T ds = p * (dot(gi, value_tile + c * s.dim, s.dim) - di);
        for (int d = 0; d < s.dim; ++d) acc[d] += ds * kc[d];
      }
    __syncthreads();
  }
  if (active) {
    T* gq = row_of(grad_q, gqr, b, h, i);
    for (int d = 0; d < s.dim; ++d) gq[d] = scale * acc[d];
  }
}

// grad_k and grad_v, one thread per key row, summed over the query heads that share it:
// grid (key tiles, B * H_kv), kKeyRows threads.
template <typename T>
__global__ void attention_grad_kv_kernel(const T* q, HeadRows qr, const T* k, HeadRows kr, const T* v,
                                         HeadRows vr, const T* grad_out, HeadRows gr, const T* logsumexp,
                                         const T* delta, T* grad_k, HeadRows gkr, T* grad_v, HeadRows gvr, Sizes s,
                                         T scale) {
  constexpr int tile_queries = kQueryTile<T>;
  BYTEGRAD_DYNAMIC_SHARED(T, shared);
  T* query_tile = shared;                                // [tile_queries, D]
  T* grad_out_tile = query_tile + tile_queries * s.dim;  // [tile_queries, D]
  T* lse_tile = grad_out_tile + tile_queries * s.dim;    // [tile_queries]
  T* delta_tile = lse_tile + tile_queries;               // [tile_queries]
  T* k_acc = delta_tile + tile_queries + threadIdx.x * 2 * s.dim;  // this thread's grad_k row
  T* v_acc = k_acc + s.dim;                                        // and grad_v row

  const int b = blockIdx.y / s.kv_heads, kv_h = blockIdx.y % s.kv_heads;
  const int first_key = blockIdx.x * blockDim.x, j = first_key + threadIdx.x;
  const bool active = j < s.keys;
  // Query i sees key j when offset + i >= j: the block's first key is seen from this query on.
  const int first_query = first_key > s.offset() ? first_key - s.offset() : 0;
  const T* kj = active ? row_of(k, kr, b, kv_h, j) : nullptr;
  const T* vj = active ? row_of(v, vr, b, kv_h, j) : nullptr;

  for (int d = 0; d < 2 * s.dim; ++d) k_acc[d] = 0;
  for (int h = kv_h * s.group(); h < (kv_h + 1) * s.group(); ++h) {
    const int64_t head_rows = (int64_t(b) * s.heads + h) * s.tokens;
    for (int i0 = first_query; i0 < s.tokens; i0 += tile_queries) {
      load_rows(query_tile, q, qr, b, h, i0, tile_queries, s.tokens, s.dim);
      load_rows(grad_out_tile, grad_out, gr, b, h, i0, tile_queries, s.tokens, s.dim);
      for (int r = threadIdx.x; r < tile_queries; r += blockDim.x) {
        const bool real = i0 + r < s.tokens;
        lse_tile[r] = real ? logsumexp[head_rows + i0 + r] : T(0);
        delta_tile[r] = real ? delta[head_rows + i0 + r] : T(0);
      }
      __syncthreads();
      if (active)
        for (int r = 0; r < tile_queries && i0 + r < s.tokens; ++r) {
          if (s.offset() + i0 + r < j) continue;  // this query does not see key j
          const T* qi = query_tile + r * s.dim;
          const T* gi = grad_out_tile + r * s.dim;
          const T p = std::exp(scale * dot(qi, kj, s.dim) - lse_tile[r]);
          const T ds = p * (dot(gi, vj, s.dim) - delta_tile[r]);
          for (int d = 0; d < s.dim; ++d) {
            k_acc[d] += ds * qi[d];
            v_acc[d] += p * gi[d];
          }
        }
      __syncthreads();
    }
  }
  if (active) {
    T* gk = row_of(grad_k, gkr, b, kv_h, j);
    T* gv = row_of(grad_v, gvr, b, kv_h, j);
    for (int d = 0; d < s.dim; ++d) {
      gk[d] = scale * k_acc[d];
      gv[d] = v_acc[d];
    }
  }
}

Sizes sizes_of(const ArrayView& q, const ArrayView& k) {
  BYTEGRAD_CHECK(q.shape[3] <= kMaxHeadDim, "causal_attention on CUDA: head dimension ", q.shape[3],
                 " is above the ", kMaxHeadDim, " this kernel supports");
  BYTEGRAD_CHECK(q.shape[0] * q.shape[1] < 65536 && k.shape[0] * k.shape[1] < 65536 && k.shape[2] < (1 << 30),
                 "causal_attention on CUDA: ", q.shape[0], " x ", q.shape[1],
                 " (batch x heads) must stay below 65536");
  return {int(q.shape[1]), int(k.shape[1]), int(q.shape[2]), int(k.shape[2]), int(q.shape[3])};
}

unsigned tiles(int64_t count, int per_tile) { return unsigned((count + per_tile - 1) / per_tile); }

// Calls fn.template operator()<T>() for the float types attention supports.
template <typename Fn> void visit_attention_dtype(DType dtype, Fn&& fn) {
  if (dtype == DType::Float64) fn.template operator()<double>();
  else if (dtype == DType::Float32) fn.template operator()<float>();
  else throw Error(concat("causal_attention on CUDA: dtype ", dtype, " (float32 or float64 expected)"));
}

}  // namespace

void CudaBackend::causal_attention(const ArrayView& q, const ArrayView& k, const ArrayView& v, double scale,
                                   const ArrayView& out, const ArrayView& logsumexp) {
  if (q.numel() == 0) return;
  const Sizes s = sizes_of(q, k);
  activate();
  visit_attention_dtype(q.dtype, [&]<typename T>() {
    const int rows = kQueryRows<T>;
    const size_t shared = size_t(2 * kKeyTile<T> + rows) * size_t(s.dim) * sizeof(T);
    launch(attention_forward_kernel<T>, dim3(tiles(s.tokens, rows), unsigned(q.shape[0] * s.heads)), dim3(rows),
           shared, stream_, q.as<T>(), head_rows(q), k.as<T>(), head_rows(k), v.as<T>(), head_rows(v), out.as<T>(),
           head_rows(out), logsumexp.as<T>(), s, T(scale));
  });
  BYTEGRAD_CUDA_CHECK_LAUNCH("attention_forward_kernel");
}

void CudaBackend::causal_attention_backward(const ArrayView& q, const ArrayView& k, const ArrayView& v,
                                            const ArrayView& out, const ArrayView& logsumexp, double scale,
                                            const ArrayView& grad_out, const ArrayView& grad_q,
                                            const ArrayView& grad_k, const ArrayView& grad_v) {
  if (k.numel() == 0) return;
  const Sizes s = sizes_of(q, k);
  const int64_t batch = q.shape[0], query_rows = batch * s.heads * s.tokens;
  activate();
  visit_attention_dtype(q.dtype, [&]<typename T>() {
    const Scratch<T> delta(*this, size_t(std::max<int64_t>(query_rows, 1)));
    if (query_rows > 0) {
      launch(attention_delta_kernel<T>, dim3(tiles(query_rows, 128)), dim3(128), 0, stream_, out.as<T>(),
             head_rows(out), grad_out.as<T>(), head_rows(grad_out), delta.data(), s, query_rows);
      BYTEGRAD_CUDA_CHECK_LAUNCH("attention_delta_kernel");
      const int rows = kQueryRows<T>;
      launch(attention_grad_q_kernel<T>, dim3(tiles(s.tokens, rows), unsigned(batch * s.heads)), dim3(rows),
             size_t(2 * kKeyTile<T> + rows) * size_t(s.dim) * sizeof(T), stream_, q.as<T>(), head_rows(q),
             k.as<T>(), head_rows(k), v.as<T>(), head_rows(v), grad_out.as<T>(), head_rows(grad_out),
             logsumexp.as<T>(), delta.data(), grad_q.as<T>(), head_rows(grad_q), s, T(scale));
      BYTEGRAD_CUDA_CHECK_LAUNCH("attention_grad_q_kernel");
    }
    const int key_rows = kKeyRows<T>, tile_queries = kQueryTile<T>;
    const size_t shared = (size_t(2 * tile_queries) * size_t(s.dim) + size_t(2 * tile_queries) +
                           size_t(2 * key_rows) * size_t(s.dim)) * sizeof(T);
    launch(attention_grad_kv_kernel<T>, dim3(tiles(s.keys, key_rows), unsigned(batch * s.kv_heads)),
           dim3(key_rows), shared, stream_, q.as<T>(), head_rows(q), k.as<T>(), head_rows(k), v.as<T>(),
           head_rows(v), grad_out.as<T>(), head_rows(grad_out), logsumexp.as<T>(), delta.data(), grad_k.as<T>(),
           head_rows(grad_k), grad_v.as<T>(), head_rows(grad_v), s, T(scale));
    BYTEGRAD_CUDA_CHECK_LAUNCH("attention_grad_kv_kernel");
  });
}

}  // namespace bytegrad::kernels::cuda
