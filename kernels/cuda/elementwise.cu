// Elementwise ops over arbitrary strides and broadcasting (stride 0): unary maps, binary ops
// (comparisons write bool) with the fused activation gradients, and where(). One thread per
// output element; the math is the CPU backend's (kernels/cpu/elementwise.cpp), in the same
// compute types (float for the 16-bit floats).
#include <cmath>
#include <type_traits>

#include "base/error.h"
#include "kernels/cuda/cuda_backend.h"
#include "kernels/cuda/cuda_check.h"
#include "kernels/cuda/cuda_compat.h"
#include "kernels/cuda/device_types.h"
#include "kernels/cuda/strided_indexer.h"

namespace bytegrad::kernels::cuda {
namespace {

constexpr double kSqrtHalf = 0.70710678118654752440;
constexpr double kSqrt2OverPi = 0.79788456080286535588;
constexpr double kInvSqrt2Pi = 0.39894228040143267794;
constexpr double kGeluTanhCubic = 0.044715;

template <typename C> __device__ __forceinline__ C sigmoid(C x) { return C(1) / (C(1) + std::exp(-x)); }

template <typename C> __device__ __forceinline__ C unary_math(UnaryOp op, C x, C alpha, C beta) {
  switch (op) {
    case UnaryOp::Neg: return -x;
    case UnaryOp::Abs:
      if constexpr (std::is_unsigned_v<C>) return x;  // uint8
      else return x < C(0) ? -x : x;
    case UnaryOp::Square: return x * x;
    case UnaryOp::Sign:
      if constexpr (std::is_unsigned_v<C>) return C(x > C(0));
      else return C((x > C(0)) - (x < C(0)));
    case UnaryOp::Relu: return x > C(0) ? x : C(0);
    case UnaryOp::Clamp: return x < alpha ? alpha : (x > beta ? beta : x);
    case UnaryOp::AddScalar: return x + alpha;
    case UnaryOp::MulScalar: return x * alpha;
    case UnaryOp::RSubScalar: return alpha - x;
    case UnaryOp::RDivScalar: return alpha / x;
    default: break;
  }
  if constexpr (std::is_floating_point_v<C>) {
    switch (op) {
      case UnaryOp::Exp: return std::exp(x);
      case UnaryOp::Log: return std::log(x);
      case UnaryOp::Sqrt: return std::sqrt(x);
      case UnaryOp::Rsqrt: return C(1) / std::sqrt(x);
      case UnaryOp::Tanh: return std::tanh(x);
      case UnaryOp::Sigmoid: return sigmoid(x);
      case UnaryOp::Silu: return x * sigmoid(x);
      case UnaryOp::Gelu: return C(0.5) * x * (C(1) + std::erf(x * C(kSqrtHalf)));
      case UnaryOp::GeluTanh:
        return C(0.5) * x * (C(1) + std::tanh(C(kSqrt2OverPi) * (x + C(kGeluTanhCubic) * x * x * x)));
      case UnaryOp::PowScalar: return std::pow(x, alpha);
      default: return x;
    }
  } else {
    return op == UnaryOp::PowScalar ? C(std::pow(double(x), double(alpha))) : x;
  }
}

// g * f'(x), or f'(y) from the forward output y, for the fused activation gradients.
template <typename C> __device__ __forceinline__ C backward_math(BinaryOp op, C x, C g) {
  switch (op) {
    case BinaryOp::SigmoidBackwardFromOutput: return g * x * (C(1) - x);
    case BinaryOp::TanhBackwardFromOutput: return g * (C(1) - x * x);
    case BinaryOp::ReluBackward: return x > C(0) ? g : C(0);
    case BinaryOp::SiluBackward: {
      const C s = sigmoid(x);
      return g * s * (C(1) + x * (C(1) - s));
    }
    case BinaryOp::GeluBackward: {
      const C cdf = C(0.5) * (C(1) + std::erf(x * C(kSqrtHalf)));
      const C pdf = C(kInvSqrt2Pi) * std::exp(C(-0.5) * x * x);
      return g * (cdf + x * pdf);
    }
    case BinaryOp::GeluTanhBackward: {
      const C inner = C(kSqrt2OverPi) * (x + C(kGeluTanhCubic) * x * x * x);
      const C t = std::tanh(inner);
      const C inner_grad = C(kSqrt2OverPi) * (C(1) + C(3 * kGeluTanhCubic) * x * x);
      return g * (C(0.5) * (C(1) + t) + C(0.5) * x * (C(1) - t * t) * inner_grad);
    }
    default: return C(0);
  }
}

template <typename C> __device__ __forceinline__ C binary_math(BinaryOp op, C a, C b) {
  switch (op) {
    case BinaryOp::Add: return a + b;
    case BinaryOp::Sub: return a - b;
    case BinaryOp::Mul: return a * b;
    case BinaryOp::Div:
      // The tensor layer rejects integer division by zero before any kernel runs.
      if constexpr (std::is_integral_v<C>) return b == C(0) ? C(0) : C(a / b);
      return a / b;
    case BinaryOp::Maximum: return (a != a || a > b) ? a : b;  // NaN propagates
    case BinaryOp::Minimum: return (a != a || a < b) ? a : b;
    case BinaryOp::Pow:
      if constexpr (std::is_floating_point_v<C>) return C(std::pow(a, b));
      return C(std::pow(double(a), double(b)));
    default: break;
  }
  if constexpr (std::is_floating_point_v<C>) return backward_math(op, a, b);
  return C(0);
}

__host__ __device__ __forceinline__ bool is_comparison(BinaryOp op) {
  return op == BinaryOp::Equal || op == BinaryOp::NotEqual || op == BinaryOp::Less ||
         op == BinaryOp::LessEqual || op == BinaryOp::Greater || op == BinaryOp::GreaterEqual;
}

template <typename C> __device__ __forceinline__ bool compare(BinaryOp op, C a, C b) {
  switch (op) {
    case BinaryOp::Equal: return a == b;
    case BinaryOp::NotEqual: return a != b;
    case BinaryOp::Less: return a < b;
    case BinaryOp::LessEqual: return a <= b;
    case BinaryOp::Greater: return a > b;
    default: return a >= b;
  }
}

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

bool needs_floating_point(UnaryOp op) {
  switch (op) {
    case UnaryOp::Exp: case UnaryOp::Log: case UnaryOp::Sqrt: case UnaryOp::Rsqrt: case UnaryOp::Tanh:
    case UnaryOp::Sigmoid: case UnaryOp::Silu: case UnaryOp::Gelu: case UnaryOp::GeluTanh:
      return true;
    default: return false;
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
  const bool arithmetic = op == BinaryOp::Add || op == BinaryOp::Sub || op == BinaryOp::Mul ||
                          op == BinaryOp::Div || op == BinaryOp::Pow || op == BinaryOp::Maximum ||
                          op == BinaryOp::Minimum;
  BYTEGRAD_CHECK(comparison || arithmetic || is_floating(a.dtype), "binary: op needs a floating-point dtype");
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
