// Stable sorting and top-k of each row of a contiguous [rows, n] layout, by ranking: one block
// per row, each thread takes elements i and counts the elements that come before it (smaller,
// or equal with a lower index; NaN after every number, as in PyTorch), which is i's position in
// the stable order; top-k keeps the positions below k. The order is the CPU's exactly, with no
// barriers or shared memory; the cost is n^2 comparisons a row, fine for the rows bytegrad sorts
// in tests and sampling, and the place for a bitonic or radix sort when long rows matter.
#include "kernels/cuda/cuda_backend.h"
#include "kernels/cuda/cuda_check.h"
#include "kernels/cuda/cuda_compat.h"
#include "kernels/cuda/device_types.h"

namespace bytegrad::kernels::cuda {
namespace {

template <typename C> __device__ __forceinline__ bool sorts_before(C a, C b, bool descending) {
  if (a != a) return descending && b == b;
  if (b != b) return !descending;
  return descending ? a > b : a < b;
}

// Writes element i of each row to position rank(i) of values and indices, for ranks below `keep`.
template <typename T>
__global__ void rank_sort_kernel(int64_t rows, int64_t length, int64_t keep, bool descending, const T* in,
                                 T* values, int64_t* indices) {
  for (int64_t r = blockIdx.x; r < rows; r += gridDim.x) {
    const T* x = in + r * length;
    for (int64_t i = threadIdx.x; i < length; i += blockDim.x) {
      const auto xi = to_compute(x[i]);
      int64_t rank = 0;
      for (int64_t j = 0; j < length; ++j) {
        const auto xj = to_compute(x[j]);
        rank += sorts_before(xj, xi, descending) || (j < i && !sorts_before(xi, xj, descending));
      }
      if (rank < keep) {
        values[r * keep + rank] = x[i];
        indices[r * keep + rank] = i;
      }
    }
  }
}

void rank_sort(const ArrayView& in, int64_t keep, bool descending, const ArrayView& values, const ArrayView& indices,
               cudaStream_t stream) {
  const int64_t length = in.ndim() == 0 ? 1 : in.shape.back();
  const int64_t rows = length == 0 ? 0 : in.numel() / length;
  if (rows == 0 || keep == 0) return;
  visit_device_dtype(in.dtype, [&]<typename T>() {
    launch(rank_sort_kernel<T>, dim3(unsigned(rows < 4096 ? rows : 4096)), dim3(128), 0, stream, rows, length, keep,
           descending, static_cast<const T*>(in.data), static_cast<T*>(values.data),
           static_cast<int64_t*>(indices.data));
  });
  BYTEGRAD_CUDA_CHECK_LAUNCH("rank_sort_kernel");
}

}  // namespace

void CudaBackend::sort(const ArrayView& in, const ArrayView& values, const ArrayView& indices, bool descending) {
  activate();
  rank_sort(in, in.ndim() == 0 ? 1 : in.shape.back(), descending, values, indices, stream_);
}

void CudaBackend::topk(const ArrayView& in, int64_t k, bool largest, const ArrayView& values,
                       const ArrayView& indices) {
  activate();
  rank_sort(in, k, largest, values, indices, stream_);
}

}  // namespace bytegrad::kernels::cuda
