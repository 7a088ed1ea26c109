// Launchers of the embedding-bag kernels (T-Free's word embedding; Backend::embedding_bag for the
// semantics): ids int64 [items, population] name rows of weight [vocab, width]; offsets int64
// [bags + 1] group the items into bags. T is float or double; pointers are device pointers;
// launches are issued on `stream` and not waited for, and a failed launch throws Error.
#pragma once

#include <cuda_runtime_api.h>

#include <cstdint>

namespace bytegrad::kernels::cuda {

// out[w] = c_w * the sum of weight[ids[i, j]] over bag w's items i and j < population, with
// c_w = (mean_items ? 1 / population : 1) * (normalize ? 1 / items of the bag : 1).
template <typename T>
void embedding_bag_rows(cudaStream_t stream, const T* weight, const int64_t* ids,
                        const int64_t* offsets, bool mean_items, bool normalize, T* out,
                        int64_t bags, int64_t width, int64_t population);

// grad_weight[ids[i, j]] += c_w * grad_out[w] for every row the forward pass read (atomic adds:
// the order of the additions into a shared row is not fixed).
template <typename T>
void embedding_bag_backward_rows(cudaStream_t stream, const T* grad_out, const int64_t* ids,
                                 const int64_t* offsets, bool mean_items, bool normalize,
                                 T* grad_weight, int64_t bags, int64_t width, int64_t population);

}  // namespace bytegrad::kernels::cuda
