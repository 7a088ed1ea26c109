// Attention of one new position over a KV cache, the whole of it in one kernel: what a decode
// step computes for each query head h, with g = h / (heads / kv_heads) its key/value head:
//   out[h] = sum_{t < length} softmax_t(q[h] . k[g, t] / sqrt(D)) v[g, t]
// No mask is needed: a new position sees every cached one, itself included.
//
// Its reference is nn::attention() (nn/attention.h) on the same keys and values.
#pragma once

#include <cstdint>

namespace bytegrad::kernels::cpu {

// q [heads, D]; keys and values [kv_heads, capacity, D] (a KV cache buffer of batch 1) with
// positions 0 .. length - 1 filled; out [heads, D]; scores is scratch of heads * length floats.
// float32; the heads are shared between threads when there is enough work.
void cached_attention(const float* q, const float* keys, const float* values, int64_t heads,
                      int64_t kv_heads, int64_t dim, int64_t capacity, int64_t length,
                      float* scores, float* out);

}  // namespace bytegrad::kernels::cpu
