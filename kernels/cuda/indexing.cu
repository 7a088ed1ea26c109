// Index-driven ops over contiguous arrays seen as [outer, dim, inner] (int64 indices, bounds
// checked by the tensor layer): gather and index_select give each output element a thread;
// scatter_add and index_add give each (outer, inner) column a thread that adds its entries in
// index order, so repeated indices never race and the sums are the CPU's, bit for bit, without
// atomics. triangle zeroes one side of each trailing matrix's diagonal.
#include <type_traits>

#include "kernels/cuda/cuda_backend.h"
#include "kernels/cuda/cuda_check.h"
#include "kernels/cuda/cuda_compat.h"
#include "kernels/cuda/device_types.h"
#include "kernels/cuda/strided_indexer.h"
#include "kernels/dim_split.h"

namespace bytegrad::kernels::cuda {
namespace {

template <typename T> __device__ __forceinline__ T add_values(T a, T b) {
  if constexpr (std::is_same_v<T, bool>) return a || b;
  else return from_compute<T>(to_compute(a) + to_compute(b));
}

template <typename T>
__global__ void gather_kernel(Split3 src, Split3 dst, const T* in, const int64_t* index, T* out) {
  const int64_t n = dst.outer * dst.dim * dst.inner;
  for (int64_t at = flat_thread_index(); at < n; at += grid_stride()) {
    const int64_t o = at / (dst.dim * dst.inner), i = at % dst.inner;
    out[at] = in[(o * src.dim + index[at]) * src.inner + i];
  }
}

template <typename T>
__global__ void scatter_add_kernel(Split3 to, Split3 from, T* dst, const int64_t* index, const T* src) {
  const int64_t columns = from.outer * from.inner;
  for (int64_t column = flat_thread_index(); column < columns; column += grid_stride()) {
    const int64_t o = column / from.inner, i = column % from.inner;
    for (int64_t j = 0; j < from.dim; ++j) {
      const int64_t at = (o * from.dim + j) * from.inner + i;
      T& target = dst[(o * to.dim + index[at]) * to.inner + i];
      target = add_values(target, src[at]);
    }
  }
}

template <typename T>
__global__ void index_select_kernel(Split3 src, int64_t count, const T* in, const int64_t* index, T* out) {
  const int64_t n = src.outer * count * src.inner;
  for (int64_t at = flat_thread_index(); at < n; at += grid_stride()) {
    const int64_t row = at / src.inner, i = at % src.inner;
    const int64_t o = row / count, j = row % count;
    out[at] = in[(o * src.dim + index[j]) * src.inner + i];
  }
}

template <typename T>
__global__ void index_add_kernel(Split3 to, int64_t count, T* dst, const int64_t* index, const T* src) {
  const int64_t columns = to.outer * to.inner;
  for (int64_t column = flat_thread_index(); column < columns; column += grid_stride()) {
    const int64_t o = column / to.inner, i = column % to.inner;
    for (int64_t j = 0; j < count; ++j) {
      T& target = dst[(o * to.dim + index[j]) * to.inner + i];
      target = add_values(target, src[(o * count + j) * to.inner + i]);
    }
  }
}

template <typename T>
__global__ void triangle_kernel(int64_t n, int64_t rows, int64_t cols, int64_t k, bool upper, const T* in, T* out) {
  for (int64_t at = flat_thread_index(); at < n; at += grid_stride()) {
    const int64_t c = at % cols, r = at / cols % rows;
    const bool keep = upper ? c - r >= k : c - r <= k;
    out[at] = keep ? in[at] : T{};
  }
}

dim3 threads(int64_t n) { return dim3(elementwise_threads(n)); }

}  // namespace

void CudaBackend::gather(const ArrayView& in, const ArrayView& index, const ArrayView& out, int64_t dim) {
  const int64_t n = out.numel();
  if (n == 0) return;
  activate();
  visit_device_dtype(in.dtype, [&]<typename T>() {
    launch(gather_kernel<T>, elementwise_grid(n), threads(n), 0, stream_, split_at(in.shape, dim),
           split_at(out.shape, dim), static_cast<const T*>(in.data), static_cast<const int64_t*>(index.data),
           static_cast<T*>(out.data));
  });
  BYTEGRAD_CUDA_CHECK_LAUNCH("gather_kernel");
}

void CudaBackend::scatter_add(const ArrayView& dst, const ArrayView& index, const ArrayView& src, int64_t dim) {
  const Split3 from = split_at(src.shape, dim);
  const int64_t columns = from.outer * from.inner;
  if (columns == 0 || from.dim == 0) return;
  activate();
  visit_device_dtype(dst.dtype, [&]<typename T>() {
    launch(scatter_add_kernel<T>, elementwise_grid(columns), threads(columns), 0, stream_, split_at(dst.shape, dim), from,
           static_cast<T*>(dst.data), static_cast<const int64_t*>(index.data), static_cast<const T*>(src.data));
  });
  BYTEGRAD_CUDA_CHECK_LAUNCH("scatter_add_kernel");
}

void CudaBackend::index_select(const ArrayView& in, const ArrayView& index, const ArrayView& out, int64_t dim) {
  const int64_t n = out.numel();
  if (n == 0) return;
  activate();
  visit_device_dtype(in.dtype, [&]<typename T>() {
    launch(index_select_kernel<T>, elementwise_grid(n), threads(n), 0, stream_, split_at(in.shape, dim), index.numel(),
           static_cast<const T*>(in.data), static_cast<const int64_t*>(index.data), static_cast<T*>(out.data));
  });
  BYTEGRAD_CUDA_CHECK_LAUNCH("index_select_kernel");
}

void CudaBackend::index_add(const ArrayView& dst, const ArrayView& index, const ArrayView& src, int64_t dim) {
  const Split3 to = split_at(dst.shape, dim);
  const int64_t columns = to.outer * to.inner, count = index.numel();
  if (columns == 0 || count == 0) return;
  activate();
  visit_device_dtype(dst.dtype, [&]<typename T>() {
    launch(index_add_kernel<T>, elementwise_grid(columns), threads(columns), 0, stream_, to, count, static_cast<T*>(dst.data),
           static_cast<const int64_t*>(index.data), static_cast<const T*>(src.data));
  });
  BYTEGRAD_CUDA_CHECK_LAUNCH("index_add_kernel");
}

void CudaBackend::triangle(const ArrayView& in, const ArrayView& out, int64_t k, bool upper) {
  const int64_t n = in.numel();
  if (n == 0) return;
  const int64_t rows = in.shape[size_t(in.ndim() - 2)], cols = in.shape.back();
  activate();
  visit_device_dtype(in.dtype, [&]<typename T>() {
    launch(triangle_kernel<T>, elementwise_grid(n), threads(n), 0, stream_, n, rows, cols, k, upper,
           static_cast<const T*>(in.data), static_cast<T*>(out.data));
  });
  BYTEGRAD_CUDA_CHECK_LAUNCH("triangle_kernel");
}

}  // namespace bytegrad::kernels::cuda
