// Elementwise ops over arbitrary strides and broadcasting (stride 0): unary maps, binary ops
// (comparisons write bool) with the fused activation gradients, and where(). One thread per
// output element; the math is kernels/elementwise_math.h, the CPU backend's own, in the same
// compute types (float for the 16-bit floats).
#include <cmath>
#include <type_traits>

#include "base/error.h"
#include "kernels/cuda/cuda_backend.h"
#include "kernels/cuda/cuda_check.h"
#include "kernels/cuda/cuda_compat.h"
#include "kernels/cuda/device_types.h"
#include "kernels/cuda/strided_indexer.h"
#include "kernels/elementwise_math.h"

namespace bytegrad::kernels::cuda {
namespace {

using math::binary_math;
using math::compare;
using math::is_comparison;
using math::needs_floating_point;
using math::unary_math;

template <typename T>
__global__ void unary_kernel(StridedIndexer<2> indexer, int64_t n, UnaryOp op, device_compute_t<T> alpha,
                             device_compute_t<T> beta, const T* in, T* out) {
  for (int64_t i = flat_thread_index(); i < n; i += grid_stride()) {
    int64_t offset[2];
    indexer.offsets(i, offset);
    out[offset[1]] = from_compute<T>(unary_math(op, to_compute(in[offset[0]]), alpha, beta));
  }
}

template <typename T, typename Out>
__global__ void binary_kernel(StridedIndexer<3> indexer, int64_t n, BinaryOp op, const T* a, const T* b,
                              Out* out) {
  for (int64_t i = flat_thread_index(); i < n; i += grid_stride()) {
    int64_t offset[3];
    indexer.offsets(i, offset);
    const auto x = to_compute(a[offset[0]]), y = to_compute(b[offset[1]]);
    if constexpr (std::is_same_v<Out, bool>) {
      out[offset[2]] = compare(op, x, y);
    } else {
      out[offset[2]] = from_compute<Out>(binary_math(op, x, y));
    }
  }
}

template <typename T>
__global__ void where_kernel(StridedIndexer<4> indexer, int64_t n, const bool* condition, const T* a,
                             const T* b, T* out) {
  for (int64_t i = flat_thread_index(); i < n; i += grid_stride()) {
    int64_t offset[4];
    indexer.offsets(i, offset);
    out[offset[3]] = condition[offset[0]] ? a[offset[1]] : b[offset[2]];
  }
}

}  // namespace

void CudaBackend::unary(UnaryOp op, const ArrayView& in, const ArrayView& out, double alpha, double beta) {
  BYTEGRAD_CHECK(in.dtype != DType::Bool, "unary: bool tensors have no arithmetic; convert to another dtype first");
  BYTEGRAD_CHECK(is_floating(in.dtype) || !needs_floating_point(op), "unary: op needs a floating-point dtype");
  const int64_t n = out.numel();
  if (n == 0) return;
  activate();
  const StridedIndexer<2> indexer = make_indexer<2>(out.shape, {&in, &out});
  visit_device_dtype(in.dtype, [&]<typename T>() {
    if constexpr (!std::is_same_v<T, bool>) {
      using C = device_compute_t<T>;
      launch(unary_kernel<T>, elementwise_grid(n), dim3(elementwise_threads(n)), 0, stream_, indexer, n, op, C(alpha),
             C(beta), static_cast<const T*>(in.data), static_cast<T*>(out.data));
    }
  });
  BYTEGRAD_CUDA_CHECK_LAUNCH("unary_kernel");
}

void CudaBackend::binary(BinaryOp op, const ArrayView& a, const ArrayView& b, const ArrayView& out) {
  const bool comparison = is_comparison(op);
  BYTEGRAD_CHECK(comparison || a.dtype != DType::Bool,
                 "binary: bool tensors have no arithmetic; convert to another dtype first");
  BYTEGRAD_CHECK(!needs_floating_point(op) || is_floating(a.dtype), "binary: op needs a floating-point dtype");
  const int64_t n = out.numel();
  if (n == 0) return;
  activate();
  const StridedIndexer<3> indexer = make_indexer<3>(out.shape, {&a, &b, &out});
  visit_device_dtype(a.dtype, [&]<typename T>() {
    const T* x = static_cast<const T*>(a.data);
    const T* y = static_cast<const T*>(b.data);
    if (comparison) {
      launch(binary_kernel<T, bool>, elementwise_grid(n), dim3(elementwise_threads(n)), 0, stream_, indexer, n, op, x,
             y, static_cast<bool*>(out.data));
    } else if constexpr (!std::is_same_v<T, bool>) {
      launch(binary_kernel<T, T>, elementwise_grid(n), dim3(elementwise_threads(n)), 0, stream_, indexer, n, op, x, y,
             static_cast<T*>(out.data));
    }
  });
  BYTEGRAD_CUDA_CHECK_LAUNCH("binary_kernel");
}

void CudaBackend::where(const ArrayView& condition, const ArrayView& a, const ArrayView& b, const ArrayView& out) {
  const int64_t n = out.numel();
  if (n == 0) return;
  activate();
  const StridedIndexer<4> indexer = make_indexer<4>(out.shape, {&condition, &a, &b, &out});
  visit_device_dtype(a.dtype, [&]<typename T>() {
    launch(where_kernel<T>, elementwise_grid(n), dim3(elementwise_threads(n)), 0, stream_, indexer, n,
           static_cast<const bool*>(condition.data), static_cast<const T*>(a.data), static_cast<const T*>(b.data),
           static_cast<T*>(out.data));
  });
  BYTEGRAD_CUDA_CHECK_LAUNCH("where_kernel");
}

}  // namespace bytegrad::kernels::cuda
