// Random fills from the Philox stream (base/philox.h): element i of a draw at (seed, offset) is
// a pure function of (seed, offset, i), computed in double as the CPU backend computes it, so the
// CUDA backend draws the CPU's numbers bit for bit (tested; on a GPU, Normal's log/sin/cos are
// CUDA's, within an ulp or two of the host's).
#include "base/philox.h"
#include "kernels/cuda/cuda_backend.h"
#include "kernels/cuda/cuda_check.h"
#include "kernels/cuda/cuda_compat.h"
#include "kernels/cuda/device_types.h"
#include "kernels/cuda/strided_indexer.h"

namespace bytegrad::kernels::cuda {
namespace {

template <typename T>
__global__ void random_kernel(RandomKind kind, int64_t n, uint64_t seed, uint64_t offset, double a, double b,
                              T* out) {
  for (int64_t i = flat_thread_index(); i < n; i += grid_stride()) {
    switch (kind) {
      case RandomKind::Uniform:
        out[i] = convert<T>(a + (b - a) * philox::uniform(seed, offset, uint64_t(i)));
        break;
      case RandomKind::Normal:
        out[i] = convert<T>(a + b * philox::normal(seed, offset, uint64_t(i)));
        break;
      case RandomKind::Integer:
        out[i] = convert<T>(philox::integer(seed, offset, uint64_t(i), int64_t(a), int64_t(b)));
        break;
    }
  }
}

}  // namespace

void CudaBackend::random(RandomKind kind, const ArrayView& dst, uint64_t seed, uint64_t offset, double a,
                         double b) {
  const int64_t n = dst.numel();
  if (n == 0) return;
  activate();
  visit_device_dtype(dst.dtype, [&]<typename T>() {
    launch(random_kernel<T>, elementwise_grid(n), dim3(elementwise_threads(n)), 0, stream_, kind, n, seed, offset,
           a, b, static_cast<T*>(dst.data));
  });
  BYTEGRAD_CUDA_CHECK_LAUNCH("random_kernel");
}

}  // namespace bytegrad::kernels::cuda
