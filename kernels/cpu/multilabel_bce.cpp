// Binary cross-entropy with logits against sparse multi-hot targets (T-Free's next-word
// pattern), forward and backward in one pass each. Each row is first treated as all-negative
// (softplus(z) per class, gradient sigmoid(z)), then its few distinct positive classes are
// corrected, so no dense target row is ever written: only the row's sorted positive ids.
#include <algorithm>
#include <cmath>
#include <vector>

#include "kernels/cpu/cpu_backend.h"
#include "kernels/cpu/strided_loop.h"

namespace bytegrad::kernels::cpu {
namespace {

// log(1 + exp(x)) without overflow: max(x, 0) + log1p(exp(-|x|)).
template <typename T>
T softplus(T x) {
  return std::max(x, T(0)) + std::log1p(std::exp(-std::abs(x)));
}

template <typename T>
T sigmoid(T x) {
  return x >= T(0) ? T(1) / (T(1) + std::exp(-x)) : std::exp(x) / (T(1) + std::exp(x));
}

// Row w's positive classes, each once.
std::vector<int64_t> positives(const ArrayView& target_ids, const ArrayView& target_offsets, int64_t w) {
  const int64_t* offset = target_offsets.as<int64_t>();
  const int64_t* id = target_ids.as<int64_t>();
  std::vector<int64_t> classes(id + offset[w], id + offset[w + 1]);
  std::sort(classes.begin(), classes.end());
  classes.erase(std::unique(classes.begin(), classes.end()), classes.end());
  return classes;
}

template <typename T>
void forward_rows(const ArrayView& logits, const ArrayView& target_ids, const ArrayView& target_offsets,
                  const ArrayView& weights, double pos_weight, const ArrayView& loss) {
  const int64_t rows = logits.shape[0], classes = logits.shape[1];
  parallel_for(rows, classes * 16, [&](int64_t w) {
    const T weight = weights.as<T>()[w];
    if (weight == T(0)) {  // padding or a segment without loss
      loss.as<T>()[w] = T(0);
      return;
    }
    const T* z = logits.as<T>() + w * classes;
    T total = 0;
    for (int64_t v = 0; v < classes; ++v) total += softplus(z[v]);
    for (int64_t v : positives(target_ids, target_offsets, w))
      total += T(pos_weight) * softplus(-z[v]) - softplus(z[v]);
    loss.as<T>()[w] = weight * total;
  });
}

template <typename T>
void backward_rows(const ArrayView& logits, const ArrayView& target_ids, const ArrayView& target_offsets,
                   const ArrayView& weights, double pos_weight, const ArrayView& grad_loss,
                   const ArrayView& grad_logits) {
  const int64_t rows = logits.shape[0], classes = logits.shape[1];
  parallel_for(rows, classes * 16, [&](int64_t w) {
    const T scale = grad_loss.as<T>()[w] * weights.as<T>()[w];
    T* out = grad_logits.as<T>() + w * classes;
    if (scale == T(0)) {
      std::fill(out, out + classes, T(0));
      return;
    }
    const T* z = logits.as<T>() + w * classes;
    for (int64_t v = 0; v < classes; ++v) out[v] = scale * sigmoid(z[v]);
    for (int64_t v : positives(target_ids, target_offsets, w))
      out[v] = scale * T(pos_weight) * (sigmoid(z[v]) - T(1));
  });
}

}  // namespace

void CpuBackend::multilabel_bce(const ArrayView& logits, const ArrayView& target_ids,
                                const ArrayView& target_offsets, const ArrayView& weights,
                                double pos_weight, const ArrayView& loss) {
  if (logits.dtype == DType::Float64)
    forward_rows<double>(logits, target_ids, target_offsets, weights, pos_weight, loss);
  else forward_rows<float>(logits, target_ids, target_offsets, weights, pos_weight, loss);
}

void CpuBackend::multilabel_bce_backward(const ArrayView& logits, const ArrayView& target_ids,
                                         const ArrayView& target_offsets, const ArrayView& weights,
                                         double pos_weight, const ArrayView& grad_loss,
                                         const ArrayView& grad_logits) {
  if (logits.dtype == DType::Float64)
    backward_rows<double>(logits, target_ids, target_offsets, weights, pos_weight, grad_loss, grad_logits);
  else backward_rows<float>(logits, target_ids, target_offsets, weights, pos_weight, grad_loss, grad_logits);
}

}  // namespace bytegrad::kernels::cpu
