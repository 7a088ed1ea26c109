// Strided copies with dtype conversion (and broadcasting: a source stride of 0 repeats an
// element), fills and arange: one thread per element, in grid-stride loops.
#include "kernels/cuda/cuda_backend.h"
#include "kernels/cuda/cuda_check.h"
#include "kernels/cuda/cuda_compat.h"
#include "kernels/cuda/device_types.h"
#include "kernels/cuda/strided_indexer.h"

namespace bytegrad::kernels::cuda {
namespace {

template <typename From, typename To>
__global__ void copy_kernel(StridedIndexer<2> indexer, int64_t n, const From* src, To* dst) {
  for (int64_t i = flat_thread_index(); i < n; i += grid_stride()) {
    int64_t offset[2];
    indexer.offsets(i, offset);
    dst[offset[1]] = convert<To>(src[offset[0]]);
  }
}

template <typename T>
__global__ void fill_kernel(StridedIndexer<1> indexer, int64_t n, T value, T* dst) {
  for (int64_t i = flat_thread_index(); i < n; i += grid_stride()) {
    int64_t offset[1];
    indexer.offsets(i, offset);
    dst[offset[0]] = value;
  }
}

template <typename T>
__global__ void arange_kernel(int64_t n, double start, double step, T* dst) {
  for (int64_t i = flat_thread_index(); i < n; i += grid_stride())
    dst[i] = convert<T>(start + double(i) * step);
}

}  // namespace

void CudaBackend::copy(const ArrayView& src, const ArrayView& dst) {
  const int64_t n = dst.numel();
  if (n == 0) return;
  activate();
  const StridedIndexer<2> indexer = make_indexer<2>(dst.shape, {&src, &dst});
  visit_device_dtype(src.dtype, [&]<typename From>() {
    visit_device_dtype(dst.dtype, [&]<typename To>() {
      launch(copy_kernel<From, To>, elementwise_grid(n), dim3(elementwise_threads(n)), 0, stream_, indexer, n,
             static_cast<const From*>(src.data), static_cast<To*>(dst.data));
    });
  });
  BYTEGRAD_CUDA_CHECK_LAUNCH("copy_kernel");
}

void CudaBackend::fill(const ArrayView& dst, double value) {
  const int64_t n = dst.numel();
  if (n == 0) return;
  activate();
  const StridedIndexer<1> indexer = make_indexer<1>(dst.shape, {&dst});
  visit_device_dtype(dst.dtype, [&]<typename T>() {
    // Converted on the host as the CPU backend converts it: double -> T's compute type -> T.
    const T converted = from_compute<T>(static_cast<device_compute_t<T>>(value));
    launch(fill_kernel<T>, elementwise_grid(n), dim3(elementwise_threads(n)), 0, stream_, indexer, n, converted,
           static_cast<T*>(dst.data));
  });
  BYTEGRAD_CUDA_CHECK_LAUNCH("fill_kernel");
}

void CudaBackend::arange(const ArrayView& dst, double start, double step) {
  const int64_t n = dst.numel();
  if (n == 0) return;
  activate();
  visit_device_dtype(dst.dtype, [&]<typename T>() {
    launch(arange_kernel<T>, elementwise_grid(n), dim3(elementwise_threads(n)), 0, stream_, n, start, step,
           static_cast<T*>(dst.data));
  });
  BYTEGRAD_CUDA_CHECK_LAUNCH("arange_kernel");
}

}  // namespace bytegrad::kernels::cuda
