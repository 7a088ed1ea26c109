// Cumulative sums along each row of a contiguous [rows, n] layout (the op's dimension moved
// last). One thread per row adds left to right in double (int64 for integers), as the CPU
// backend does, so the sums equal the CPU's bit for bit. (Rows are short where bytegrad takes
// cumulative sums, top-p sampling's sorted probabilities; a block-wide scan would serve long rows
// better on a GPU.)
#include <type_traits>

#include "kernels/cuda/cuda_backend.h"
#include "kernels/cuda/cuda_check.h"
#include "kernels/cuda/cuda_compat.h"
#include "kernels/cuda/device_types.h"
#include "kernels/cuda/strided_indexer.h"

namespace bytegrad::kernels::cuda {
namespace {

template <typename T>
__global__ void cumsum_kernel(int64_t rows, int64_t length, const T* in, T* out) {
  using C = device_compute_t<T>;
  using Acc = std::conditional_t<std::is_floating_point_v<C>, double, int64_t>;
  for (int64_t r = flat_thread_index(); r < rows; r += grid_stride()) {
    Acc running = 0;
    for (int64_t i = 0; i < length; ++i) {
      running += Acc(to_compute(in[r * length + i]));
      out[r * length + i] = from_compute<T>(device_compute_t<T>(running));
    }
  }
}

}  // namespace

void CudaBackend::cumsum(const ArrayView& in, const ArrayView& out) {
  const int64_t length = in.ndim() == 0 ? 1 : in.shape.back();
  const int64_t rows = length == 0 ? 0 : in.numel() / length;
  if (rows == 0) return;
  activate();
  visit_device_dtype(in.dtype, [&]<typename T>() {
    launch(cumsum_kernel<T>, elementwise_grid(rows), dim3(elementwise_threads(rows)), 0, stream_, rows, length,
           static_cast<const T*>(in.data), static_cast<T*>(out.data));
  });
  BYTEGRAD_CUDA_CHECK_LAUNCH("cumsum_kernel");
}

}  // namespace bytegrad::kernels::cuda
