// The CUDA backend's methods that have no kernels yet. Each throws NotYetImplemented naming
// itself, which the device-parametrised tests report as a skip on CUDA (tests/devices.h).
// Implementing a group: move its methods from here into a `.cu` file of their own.
#include "kernels/cuda/cuda_backend.h"
#include "kernels/not_yet_implemented.h"

namespace bytegrad::kernels::cuda {

void CudaBackend::softmax(const ArrayView& in, const ArrayView& out, bool log) {
  throw NotYetImplemented(device(), "softmax");
}

void CudaBackend::softmax_backward(const ArrayView& y, const ArrayView& grad_out, const ArrayView& grad_in, bool log) {
  throw NotYetImplemented(device(), "softmax_backward");
}

void CudaBackend::cross_entropy(const ArrayView& logits, const ArrayView& targets, const ArrayView& loss, const ArrayView& log_normalizer) {
  throw NotYetImplemented(device(), "cross_entropy");
}

void CudaBackend::cross_entropy_backward(const ArrayView& logits, const ArrayView& targets, const ArrayView& log_normalizer, const ArrayView& grad_loss, const ArrayView& grad_logits) {
  throw NotYetImplemented(device(), "cross_entropy_backward");
}

void CudaBackend::embedding_bag(const ArrayView& weight, const ArrayView& ids, const ArrayView& offsets, bool mean_items, bool normalize, const ArrayView& out) {
  throw NotYetImplemented(device(), "embedding_bag");
}

void CudaBackend::embedding_bag_backward(const ArrayView& grad_out, const ArrayView& ids, const ArrayView& offsets, bool mean_items, bool normalize, const ArrayView& grad_weight) {
  throw NotYetImplemented(device(), "embedding_bag_backward");
}

void CudaBackend::multilabel_bce(const ArrayView& logits, const ArrayView& target_ids, const ArrayView& target_offsets, const ArrayView& weights, double pos_weight, const ArrayView& loss) {
  throw NotYetImplemented(device(), "multilabel_bce");
}

void CudaBackend::multilabel_bce_backward(const ArrayView& logits, const ArrayView& target_ids, const ArrayView& target_offsets, const ArrayView& weights, double pos_weight, const ArrayView& grad_loss, const ArrayView& grad_logits) {
  throw NotYetImplemented(device(), "multilabel_bce_backward");
}

void CudaBackend::rms_norm(const ArrayView& x, const ArrayView& weight, double eps, const ArrayView& out, const ArrayView& inverse_rms) {
  throw NotYetImplemented(device(), "rms_norm");
}

void CudaBackend::rms_norm_backward(const ArrayView& x, const ArrayView& weight, const ArrayView& inverse_rms, const ArrayView& grad_out, const ArrayView& grad_x, const ArrayView& grad_weight) {
  throw NotYetImplemented(device(), "rms_norm_backward");
}

void CudaBackend::layer_norm(const ArrayView& x, const ArrayView& weight, const ArrayView& bias, double eps, const ArrayView& out, const ArrayView& mean, const ArrayView& inverse_std) {
  throw NotYetImplemented(device(), "layer_norm");
}

void CudaBackend::layer_norm_backward(const ArrayView& x, const ArrayView& weight, const ArrayView& mean, const ArrayView& inverse_std, const ArrayView& grad_out, const ArrayView& grad_x, const ArrayView& grad_weight, const ArrayView& grad_bias) {
  throw NotYetImplemented(device(), "layer_norm_backward");
}

void CudaBackend::causal_attention(const ArrayView& q, const ArrayView& k, const ArrayView& v, double scale, const ArrayView& out, const ArrayView& probabilities) {
  throw NotYetImplemented(device(), "causal_attention");
}

void CudaBackend::causal_attention_backward(const ArrayView& q, const ArrayView& k, const ArrayView& v, const ArrayView& probabilities, double scale, const ArrayView& grad_out, const ArrayView& grad_q, const ArrayView& grad_k, const ArrayView& grad_v) {
  throw NotYetImplemented(device(), "causal_attention_backward");
}

void CudaBackend::gemm(DType dtype, const void* a, const void* b, void* c, const GemmBatch& batch) {
  throw NotYetImplemented(device(), "gemm");
}

void CudaBackend::adamw(std::span<const AdamWParameter> parameters, const AdamWStep& step) {
  throw NotYetImplemented(device(), "adamw");
}

void CudaBackend::sgd(std::span<const SgdParameter> parameters, float learning_rate, float momentum) {
  throw NotYetImplemented(device(), "sgd");
}

double CudaBackend::sum_of_squares(std::span<const std::span<const float>> buffers) {
  throw NotYetImplemented(device(), "sum_of_squares");
}

void CudaBackend::scale(std::span<const std::span<float>> buffers, float factor) {
  throw NotYetImplemented(device(), "scale");
}

}  // namespace bytegrad::kernels::cuda
