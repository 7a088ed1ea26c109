// Embedding bags: each output row is a scaled sum of weight rows named by a bag's items (T-Free's
// word = the trigrams of the word, each trigram = m hashed rows). The forward pass splits the
// bags over threads; the backward pass adds into shared rows of the gradient, so it splits the
// columns instead: every thread walks all bags for its own columns and no two threads ever write
// the same element, which needs no atomics and adds in the same order on any thread count.
#include <algorithm>

#include "kernels/cpu/cpu_backend.h"
#include "kernels/cpu/strided_loop.h"

namespace bytegrad::kernels::cpu {
namespace {

constexpr int64_t kColumnBlock = 64;  // columns per backward task: a cache line or more per row

// The factor every row of bag w is multiplied by (see Backend::embedding_bag).
double bag_factor(int64_t items, int64_t population, bool mean_items, bool normalize) {
  double factor = mean_items ? 1.0 / double(population) : 1.0;
  if (normalize && items > 0) factor /= double(items);
  return factor;
}

template <typename T>
void forward_bags(const ArrayView& weight, const ArrayView& ids, const ArrayView& offsets,
                  bool mean_items, bool normalize, const ArrayView& out) {
  const int64_t bags = out.shape[0], width = out.shape[1], population = ids.shape[1];
  const T* table = weight.as<T>();
  const int64_t* id = ids.as<int64_t>();
  const int64_t* offset = offsets.as<int64_t>();
  parallel_for(bags, width * population * 4, [&](int64_t w) {
    T* row = out.as<T>() + w * width;
    std::fill(row, row + width, T(0));
    const int64_t items = offset[w + 1] - offset[w];
    for (int64_t i = offset[w] * population; i < offset[w + 1] * population; ++i) {
      const T* source = table + id[i] * width;
      for (int64_t d = 0; d < width; ++d) row[d] += source[d];
    }
    const T factor = T(bag_factor(items, population, mean_items, normalize));
    if (factor != T(1))
      for (int64_t d = 0; d < width; ++d) row[d] *= factor;
  });
}

template <typename T>
void backward_bags(const ArrayView& grad_out, const ArrayView& ids, const ArrayView& offsets,
                   bool mean_items, bool normalize, const ArrayView& grad_weight) {
  const int64_t bags = grad_out.shape[0], width = grad_out.shape[1], population = ids.shape[1];
  const int64_t* id = ids.as<int64_t>();
  const int64_t* offset = offsets.as<int64_t>();
  const int64_t blocks = (width + kColumnBlock - 1) / kColumnBlock;
  parallel_for(blocks, ids.shape[0] * population * kColumnBlock, [&](int64_t block) {
    const int64_t begin = block * kColumnBlock, end = std::min(width, begin + kColumnBlock);
    for (int64_t w = 0; w < bags; ++w) {
      const int64_t items = offset[w + 1] - offset[w];
      const T factor = T(bag_factor(items, population, mean_items, normalize));
      const T* g = grad_out.as<T>() + w * width;
      for (int64_t i = offset[w] * population; i < offset[w + 1] * population; ++i) {
        T* target = grad_weight.as<T>() + id[i] * width;
        for (int64_t d = begin; d < end; ++d) target[d] += factor * g[d];
      }
    }
  });
}

}  // namespace

void CpuBackend::embedding_bag(const ArrayView& weight, const ArrayView& ids, const ArrayView& offsets,
                               bool mean_items, bool normalize, const ArrayView& out) {
  if (weight.dtype == DType::Float64) forward_bags<double>(weight, ids, offsets, mean_items, normalize, out);
  else forward_bags<float>(weight, ids, offsets, mean_items, normalize, out);
}

void CpuBackend::embedding_bag_backward(const ArrayView& grad_out, const ArrayView& ids,
                                        const ArrayView& offsets, bool mean_items, bool normalize,
                                        const ArrayView& grad_weight) {
  if (grad_out.dtype == DType::Float64)
    backward_bags<double>(grad_out, ids, offsets, mean_items, normalize, grad_weight);
  else backward_bags<float>(grad_out, ids, offsets, mean_items, normalize, grad_weight);
}

}  // namespace bytegrad::kernels::cpu
