// Elementwise ops: unary maps, broadcasting binary ops, and where().
// Dense float runs of the transcendental ops go through Eigen's vectorised math; everything
// else is a plain loop the compiler vectorises when strides allow.
#include <Eigen/Core>
#include <unsupported/Eigen/SpecialFunctions>
#include <cmath>

#include "base/error.h"
#include "kernels/cpu/cpu_backend.h"
#include "kernels/cpu/strided_loop.h"
#include "kernels/elementwise_math.h"

namespace bytegrad::kernels::cpu {
namespace {

using math::binary_math;
using math::compare;
using math::is_comparison;
using math::unary_math;
using math::kGeluTanhCubic;
using math::kInvSqrt2Pi;
using math::kSqrt2OverPi;
using math::kSqrtHalf;

// Eigen's vectorised kernels for a dense float/double run; false when the op has none (the
// caller then runs the scalar loop). Called per thread on its share of the elements.
template <typename T> bool eigen_unary(UnaryOp op, const T* in, T* out, int64_t n) {
  if constexpr (std::is_floating_point_v<T>) {
    using Array = Eigen::Array<T, Eigen::Dynamic, 1>;
    Eigen::Map<const Array> x(in, n);
    Eigen::Map<Array> y(out, n);
    switch (op) {
      case UnaryOp::Neg: y = -x; return true;
      case UnaryOp::Exp: y = x.exp(); return true;
      case UnaryOp::Log: y = x.log(); return true;
      case UnaryOp::Tanh: y = x.tanh(); return true;
      case UnaryOp::Sigmoid: y = x.logistic(); return true;
      case UnaryOp::Silu: y = x * x.logistic(); return true;
      case UnaryOp::Sqrt: y = x.sqrt(); return true;
      case UnaryOp::Rsqrt: y = x.rsqrt(); return true;
      case UnaryOp::Square: y = x.square(); return true;
      case UnaryOp::Relu: y = x.cwiseMax(T(0)); return true;
      case UnaryOp::Gelu: y = T(0.5) * x * (T(1) + (x * T(kSqrtHalf)).erf()); return true;
      case UnaryOp::GeluTanh:
        y = T(0.5) * x * (T(1) + (T(kSqrt2OverPi) * (x + T(kGeluTanhCubic) * x.cube())).tanh());
        return true;
      default: return false;
    }
  }
  return false;
}

template <typename T> bool eigen_binary(BinaryOp op, const T* a, const T* b, T* out, int64_t n) {
  if constexpr (std::is_floating_point_v<T>) {
    using Array = Eigen::Array<T, Eigen::Dynamic, 1>;
    Eigen::Map<const Array> x(a, n), g(b, n);
    Eigen::Map<Array> y(out, n);
    switch (op) {
      case BinaryOp::Add: y = x + g; return true;
      case BinaryOp::Sub: y = x - g; return true;
      case BinaryOp::Mul: y = x * g; return true;
      case BinaryOp::Div: y = x / g; return true;
      case BinaryOp::SigmoidBackwardFromOutput: y = g * x * (T(1) - x); return true;
      case BinaryOp::TanhBackwardFromOutput: y = g * (T(1) - x.square()); return true;
      case BinaryOp::ReluBackward: y = (x > T(0)).select(g, T(0)); return true;
      case BinaryOp::SiluBackward: {
        const Array s = x.logistic();
        y = g * s * (T(1) + x * (T(1) - s));
        return true;
      }
      case BinaryOp::GeluBackward:
        y = g * (T(0.5) * (T(1) + (x * T(kSqrtHalf)).erf()) +
                 x * T(kInvSqrt2Pi) * (T(-0.5) * x.square()).exp());
        return true;
      case BinaryOp::GeluTanhBackward: {
        const Array t = (T(kSqrt2OverPi) * (x + T(kGeluTanhCubic) * x.cube())).tanh();
        y = g * (T(0.5) * (T(1) + t) + T(0.5) * x * (T(1) - t.square()) * T(kSqrt2OverPi) *
                                           (T(1) + T(3 * kGeluTanhCubic) * x.square()));
        return true;
      }
      default: return false;
    }
  }
  return false;
}

// Loops for one op at its storage type T, with the op resolved before the loop starts so the
// inner loop is a straight call the compiler can inline.
template <typename T, typename Fn>
void map_unary(UnaryOp op, const ArrayView& in, const ArrayView& out, Fn fn) {
  const std::array<const ArrayView*, 2> views{&in, &out};
  strided_loop<2>(out.shape, views, [&](auto ptr, auto stride, int64_t n) {
    if (is_dense_run(stride, views)) {
      const T* x = reinterpret_cast<const T*>(ptr[0]);
      T* y = reinterpret_cast<T*>(ptr[1]);
      if (eigen_unary<T>(op, x, y, n)) return;
      for (int64_t i = 0; i < n; ++i) y[i] = T(fn(compute_t<T>(x[i])));
      return;
    }
    for (int64_t i = 0; i < n; ++i)
      *reinterpret_cast<T*>(ptr[1] + i * stride[1]) =
          T(fn(compute_t<T>(*reinterpret_cast<const T*>(ptr[0] + i * stride[0]))));
  });
}

template <typename T, typename Out, typename Fn>
void map_binary(BinaryOp op, const ArrayView& a, const ArrayView& b, const ArrayView& out, Fn fn) {
  const std::array<const ArrayView*, 3> views{&a, &b, &out};
  strided_loop<3>(out.shape, views, [&](auto ptr, auto stride, int64_t n) {
    if (is_dense_run(stride, views)) {
      const T* x = reinterpret_cast<const T*>(ptr[0]);
      const T* y = reinterpret_cast<const T*>(ptr[1]);
      Out* z = reinterpret_cast<Out*>(ptr[2]);
      if constexpr (std::is_same_v<T, Out>) {
        if (eigen_binary<T>(op, x, y, z, n)) return;
      }
      for (int64_t i = 0; i < n; ++i) z[i] = Out(fn(compute_t<T>(x[i]), compute_t<T>(y[i])));
      return;
    }
    for (int64_t i = 0; i < n; ++i) {
      const auto x = compute_t<T>(*reinterpret_cast<const T*>(ptr[0] + i * stride[0]));
      const auto y = compute_t<T>(*reinterpret_cast<const T*>(ptr[1] + i * stride[1]));
      *reinterpret_cast<Out*>(ptr[2] + i * stride[2]) = Out(fn(x, y));
    }
  });
}

}  // namespace

void CpuBackend::unary(UnaryOp op, const ArrayView& in, const ArrayView& out, double alpha,
                       double beta) {
  BYTEGRAD_CHECK(is_floating(in.dtype) || !math::needs_floating_point(op), "unary: op needs a floating-point dtype");
  visit_dtype(in.dtype, [&]<typename T>() {
    using C = compute_t<T>;
    if constexpr (std::is_same_v<T, bool>) {
      throw Error("unary: bool tensors have no arithmetic; convert to another dtype first");
    } else {
      const C a = C(alpha), b = C(beta);
      // Instantiate the loop once per op so the switch is outside it.
      auto run = [&](auto op_constant) {
        map_unary<T>(op, in, out, [a, b](C x) { return unary_math<C>(decltype(op_constant)::value, x, a, b); });
      };
      switch (op) {
#define BYTEGRAD_UNARY_CASE(name) \
  case UnaryOp::name: run(std::integral_constant<UnaryOp, UnaryOp::name>{}); break;
        BYTEGRAD_UNARY_CASE(Neg) BYTEGRAD_UNARY_CASE(Exp) BYTEGRAD_UNARY_CASE(Log)
        BYTEGRAD_UNARY_CASE(Sqrt) BYTEGRAD_UNARY_CASE(Rsqrt) BYTEGRAD_UNARY_CASE(Tanh)
        BYTEGRAD_UNARY_CASE(Sigmoid) BYTEGRAD_UNARY_CASE(Silu) BYTEGRAD_UNARY_CASE(Gelu)
        BYTEGRAD_UNARY_CASE(GeluTanh) BYTEGRAD_UNARY_CASE(Relu) BYTEGRAD_UNARY_CASE(Abs)
        BYTEGRAD_UNARY_CASE(Square) BYTEGRAD_UNARY_CASE(Sign) BYTEGRAD_UNARY_CASE(PowScalar)
        BYTEGRAD_UNARY_CASE(Clamp) BYTEGRAD_UNARY_CASE(AddScalar) BYTEGRAD_UNARY_CASE(MulScalar)
        BYTEGRAD_UNARY_CASE(RSubScalar) BYTEGRAD_UNARY_CASE(RDivScalar)
#undef BYTEGRAD_UNARY_CASE
      }
    }
  });
}

void CpuBackend::binary(BinaryOp op, const ArrayView& a, const ArrayView& b, const ArrayView& out) {
  BYTEGRAD_CHECK(is_floating(a.dtype) || !math::needs_floating_point(op), "binary: op needs a floating-point dtype");
  visit_dtype(a.dtype, [&]<typename T>() {
    using C = compute_t<T>;
    if (is_comparison(op)) {
      map_binary<T, bool>(op, a, b, out, [op](C x, C y) { return compare<C>(op, x, y); });
      return;
    }
    if constexpr (std::is_same_v<T, bool>) {
      throw Error("binary: bool tensors have no arithmetic; convert to another dtype first");
    } else {
      auto run = [&](auto op_constant) {
        map_binary<T, T>(op, a, b, out, [](C x, C y) { return binary_math<C>(decltype(op_constant)::value, x, y); });
      };
      switch (op) {
#define BYTEGRAD_BINARY_CASE(name) \
  case BinaryOp::name: run(std::integral_constant<BinaryOp, BinaryOp::name>{}); break;
        BYTEGRAD_BINARY_CASE(Add) BYTEGRAD_BINARY_CASE(Sub) BYTEGRAD_BINARY_CASE(Mul)
        BYTEGRAD_BINARY_CASE(Div) BYTEGRAD_BINARY_CASE(Pow) BYTEGRAD_BINARY_CASE(Maximum)
        BYTEGRAD_BINARY_CASE(Minimum) BYTEGRAD_BINARY_CASE(SigmoidBackwardFromOutput)
        BYTEGRAD_BINARY_CASE(TanhBackwardFromOutput) BYTEGRAD_BINARY_CASE(SiluBackward)
        BYTEGRAD_BINARY_CASE(GeluBackward) BYTEGRAD_BINARY_CASE(GeluTanhBackward)
        BYTEGRAD_BINARY_CASE(ReluBackward)
#undef BYTEGRAD_BINARY_CASE
        default: break;
      }
    }
  });
}

void CpuBackend::where(const ArrayView& condition, const ArrayView& a, const ArrayView& b,
                       const ArrayView& out) {
  visit_dtype(a.dtype, [&]<typename T>() {
    const std::array<const ArrayView*, 4> views{&condition, &a, &b, &out};
    strided_loop<4>(out.shape, views, [&](auto ptr, auto stride, int64_t n) {
      for (int64_t i = 0; i < n; ++i) {
        const bool take_a = *reinterpret_cast<const bool*>(ptr[0] + i * stride[0]);
        *reinterpret_cast<T*>(ptr[3] + i * stride[3]) =
            *reinterpret_cast<const T*>(take_a ? ptr[1] + i * stride[1] : ptr[2] + i * stride[2]);
      }
    });
  });
}

}  // namespace bytegrad::kernels::cpu
