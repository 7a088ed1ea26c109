// Cross-entropy over rows of logits, forward and backward in one pass each. Composed of
// log_softmax and gather, a language model's loss would write the [N, V] log-probabilities in the
// forward pass and then two more [N, V] arrays in the backward pass (the scattered gradient and
// the softmax gradient); here the forward keeps one number per row (logsumexp) and the backward
// writes the gradient once: softmax(x) - one_hot(target), scaled by the row's incoming gradient.
#include <Eigen/Core>
#include <cmath>
#include <limits>

#include "kernels/cpu/cpu_backend.h"
#include "kernels/cpu/eigen_rows.h"
#include "kernels/cpu/strided_loop.h"

namespace bytegrad::kernels::cpu {
namespace {

// log(sum(exp(x))) of one row, shifted by its maximum so that exp cannot overflow.
template <typename T>
T row_logsumexp(const T* x, int64_t n) {
  const ConstRow<T> row(x, n);
  const T peak = row.maxCoeff();
  if (!std::isfinite(peak)) return peak;  // all -inf (no mass), or a +inf / NaN that propagates
  return peak + std::log((row - peak).exp().sum());
}

template <typename T>
void forward_rows(const ArrayView& logits, const ArrayView& targets, const ArrayView& loss,
                  const ArrayView& log_normalizer) {
  const int64_t rows = logits.shape[0], vocab = logits.shape[1];
  parallel_for(rows, vocab * 8, [&](int64_t r) {
    const T* x = logits.as<T>() + r * vocab;
    const T lse = row_logsumexp(x, vocab);
    log_normalizer.as<T>()[r] = lse;
    loss.as<T>()[r] = lse - x[targets.as<int64_t>()[r]];
  });
}

template <typename T>
void backward_rows(const ArrayView& logits, const ArrayView& targets, const ArrayView& log_normalizer,
                   const ArrayView& grad_loss, const ArrayView& grad_logits) {
  const int64_t rows = logits.shape[0], vocab = logits.shape[1];
  parallel_for(rows, vocab * 8, [&](int64_t r) {
    const T g = grad_loss.as<T>()[r];
    T* out = grad_logits.as<T>() + r * vocab;
    Eigen::Map<Eigen::Array<T, Eigen::Dynamic, 1>> gradient(out, vocab);
    if (g == T(0)) {  // an ignored or zero-weighted token: nothing flows back
      gradient.setZero();
      return;
    }
    const ConstRow<T> x(logits.as<T>() + r * vocab, vocab);
    gradient = (x - log_normalizer.as<T>()[r]).exp() * g;
    out[targets.as<int64_t>()[r]] -= g;
  });
}

}  // namespace

void CpuBackend::cross_entropy(const ArrayView& logits, const ArrayView& targets,
                               const ArrayView& loss, const ArrayView& log_normalizer) {
  if (logits.dtype == DType::Float64) forward_rows<double>(logits, targets, loss, log_normalizer);
  else forward_rows<float>(logits, targets, loss, log_normalizer);
}

void CpuBackend::cross_entropy_backward(const ArrayView& logits, const ArrayView& targets,
                                        const ArrayView& log_normalizer, const ArrayView& grad_loss,
                                        const ArrayView& grad_logits) {
  if (logits.dtype == DType::Float64)
    backward_rows<double>(logits, targets, log_normalizer, grad_loss, grad_logits);
  else backward_rows<float>(logits, targets, log_normalizer, grad_loss, grad_logits);
}

}  // namespace bytegrad::kernels::cpu
