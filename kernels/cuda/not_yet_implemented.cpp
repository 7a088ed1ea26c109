// The CUDA backend's methods that have no kernels yet. Each throws NotYetImplemented naming
// itself, which the device-parametrised tests report as a skip on CUDA (tests/devices.h).
// Implementing a group: move its methods from here into a `.cu` file of their own.
#include "kernels/cuda/cuda_backend.h"
#include "kernels/not_yet_implemented.h"

namespace bytegrad::kernels::cuda {

void CudaBackend::cumsum(const ArrayView& in, const ArrayView& out) {
  throw NotYetImplemented(device(), "cumsum");
}

void CudaBackend::sort(const ArrayView& in, const ArrayView& values, const ArrayView& indices, bool descending) {
  throw NotYetImplemented(device(), "sort");
}

void CudaBackend::topk(const ArrayView& in, int64_t k, bool largest, const ArrayView& values, const ArrayView& indices) {
  throw NotYetImplemented(device(), "topk");
}

}  // namespace bytegrad::kernels::cuda
