// The CUDA backend's methods that have no kernels yet. Each throws NotYetImplemented naming
// itself, which the device-parametrised tests report as a skip on CUDA (tests/devices.h).
// Implementing a group: move its methods from here into a `.cu` file of their own.
#include "kernels/cuda/cuda_backend.h"
#include "kernels/not_yet_implemented.h"

namespace bytegrad::kernels::cuda {

void CudaBackend::causal_attention(const ArrayView& q, const ArrayView& k, const ArrayView& v, double scale, const ArrayView& out, const ArrayView& probabilities) {
  throw NotYetImplemented(device(), "causal_attention");
}

void CudaBackend::causal_attention_backward(const ArrayView& q, const ArrayView& k, const ArrayView& v, const ArrayView& probabilities, double scale, const ArrayView& grad_out, const ArrayView& grad_q, const ArrayView& grad_k, const ArrayView& grad_v) {
  throw NotYetImplemented(device(), "causal_attention_backward");
}

}  // namespace bytegrad::kernels::cuda
