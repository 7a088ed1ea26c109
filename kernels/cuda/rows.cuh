// What the row kernels share (softmax, cross-entropy, RMSNorm, LayerNorm, multi-label BCE,
// embedding bags): the [rows, length] layout the tensor layer hands over, one block per row
// launched with a grid stride, the dtypes each op accepts, and the few math functions they need,
// overloaded on float and double so that a template picks expf or exp by its compute type.
#pragma once

#include <cmath>
#include <cstdint>
#include <utility>

#include "base/error.h"
#include "kernels/array_view.h"
#include "kernels/cuda/block_reduce.h"
#include "kernels/cuda/cuda_check.h"
#include "kernels/cuda/cuda_compat.h"
#include "kernels/cuda/device_types.h"

namespace bytegrad::kernels::cuda {

// ---- layout and launch ----

// A contiguous array viewed as `count` rows of `length` elements (the op's dimension last).
struct Rows {
  int64_t count;
  int64_t length;
};

inline Rows rows_of(const ArrayView& view) {
  const int64_t length = view.ndim() == 0 ? 1 : view.shape.back();
  return Rows{length == 0 ? 0 : view.numel() / length, length};
}

// Launches kernel(args...) with one block per row, visited with a grid stride (kernels loop
// `for (r = blockIdx.x; r < rows; r += gridDim.x)`) so that any number of rows fits CUDA's grid,
// and threads for rows of `length` elements (reduction_threads); then checks the launch.
template <typename... Params, typename... Args>
void launch_rows(const char* name, void (*kernel)(Params...), cudaStream_t stream, int64_t rows,
                 int64_t length, Args&&... args) {
  if (rows <= 0) return;
  constexpr int64_t kMaxGrid = 0x7fffffff;
  launch(kernel, dim3(unsigned(rows < kMaxGrid ? rows : kMaxGrid)),
         dim3(reduction_threads(length)), 0, stream, std::forward<Args>(args)...);
  BYTEGRAD_CUDA_CHECK_LAUNCH(name);
}

// ---- dtypes ----

// Runs fn.template operator()<T>() with T the device type of a floating-point `dtype`; any other
// dtype is an Error naming the op.
template <typename Fn>
void visit_floating(DType dtype, const char* op, Fn&& fn) {
  BYTEGRAD_CHECK(is_floating(dtype), "cuda ", op, ": expected a floating-point dtype, got ", dtype);
  visit_device_dtype(dtype, [&]<typename T>() {
    if constexpr (std::is_floating_point_v<device_compute_t<T>>) fn.template operator()<T>();
  });
}

// The same for the fused ops that, as on the CPU, take float32 or float64 only.
template <typename Fn>
void visit_float_or_double(DType dtype, const char* op, Fn&& fn) {
  BYTEGRAD_CHECK(dtype == DType::Float32 || dtype == DType::Float64, "cuda ", op,
                 ": expected float32 or float64, got ", dtype);
  if (dtype == DType::Float64) fn.template operator()<double>();
  else fn.template operator()<float>();
}

// A view's data as the kernels' element type.
template <typename T> const T* input(const ArrayView& view) { return static_cast<const T*>(view.data); }
template <typename T> T* output(const ArrayView& view) { return static_cast<T*>(view.data); }

// ---- reductions and math ----

struct SumOp {
  template <typename T>
  __device__ T operator()(T a, T b) const { return a + b; }
};

// The larger value, a NaN winning over every number so that one NaN in a row shows in its
// result whichever order the values meet in.
struct MaxOp {
  template <typename T>
  __device__ T operator()(T a, T b) const { return (a != a || a > b) ? a : b; }
};

__device__ __forceinline__ float exp_of(float x) { return expf(x); }
__device__ __forceinline__ double exp_of(double x) { return exp(x); }
__device__ __forceinline__ float log_of(float x) { return logf(x); }
__device__ __forceinline__ double log_of(double x) { return log(x); }
__device__ __forceinline__ float log1p_of(float x) { return log1pf(x); }
__device__ __forceinline__ double log1p_of(double x) { return log1p(x); }

// inf - inf and NaN - NaN are NaN, x - x is 0 for every finite x: a test that needs no
// host-only library function.
template <typename C>
__device__ __forceinline__ bool is_finite(C x) { return x - x == C(0); }

template <typename C>
__device__ __forceinline__ C negative_infinity() { return C(-INFINITY); }

}  // namespace bytegrad::kernels::cuda
