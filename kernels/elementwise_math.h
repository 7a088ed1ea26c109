// The arithmetic of every elementwise op (kernels/backend.h's UnaryOp and BinaryOp), written once
// for all backends: the CPU's loops and the CUDA kernels call these same functions on a value of
// the compute type C (float for the 16-bit floats, the dtype itself otherwise), so both devices
// compute one definition. Ops that need a floating-point dtype are refused by the backends before
// any element is touched (needs_floating_point); given an integer C here they return their input.
#pragma once

#include <cmath>
#include <type_traits>

#include "base/host_device.h"
#include "kernels/backend.h"

namespace bytegrad::kernels::math {

constexpr double kSqrtHalf = 0.70710678118654752440;
constexpr double kSqrt2OverPi = 0.79788456080286535588;
constexpr double kInvSqrt2Pi = 0.39894228040143267794;
constexpr double kGeluTanhCubic = 0.044715;

// Whether `op` is defined for floating-point values only (transcendental functions).
BYTEGRAD_HOST_DEVICE inline bool needs_floating_point(UnaryOp op) {
  switch (op) {
    case UnaryOp::Exp: case UnaryOp::Log: case UnaryOp::Sqrt: case UnaryOp::Rsqrt: case UnaryOp::Tanh:
    case UnaryOp::Sigmoid: case UnaryOp::Silu: case UnaryOp::Gelu: case UnaryOp::GeluTanh:
      return true;
    default: return false;
  }
}

// Comparisons write bool; every other binary op writes the inputs' dtype.
BYTEGRAD_HOST_DEVICE inline bool is_comparison(BinaryOp op) {
  return op == BinaryOp::Equal || op == BinaryOp::NotEqual || op == BinaryOp::Less ||
         op == BinaryOp::LessEqual || op == BinaryOp::Greater || op == BinaryOp::GreaterEqual;
}

// The fused activation gradients are defined for floating-point values only.
BYTEGRAD_HOST_DEVICE inline bool needs_floating_point(BinaryOp op) {
  return !is_comparison(op) && op != BinaryOp::Add && op != BinaryOp::Sub && op != BinaryOp::Mul &&
         op != BinaryOp::Div && op != BinaryOp::Pow && op != BinaryOp::Maximum && op != BinaryOp::Minimum;
}

template <typename C> BYTEGRAD_HOST_DEVICE inline C sigmoid(C x) { return C(1) / (C(1) + std::exp(-x)); }

template <typename C> BYTEGRAD_HOST_DEVICE inline C unary_math(UnaryOp op, C x, C alpha, C beta) {
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
template <typename C> BYTEGRAD_HOST_DEVICE inline C backward_math(BinaryOp op, C x, C g) {
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

template <typename C> BYTEGRAD_HOST_DEVICE inline C binary_math(BinaryOp op, C a, C b) {
  switch (op) {
    case BinaryOp::Add: return a + b;
    case BinaryOp::Sub: return a - b;
    case BinaryOp::Mul: return a * b;
    case BinaryOp::Div:
      // The tensor layer rejects integer division by zero before any kernel runs.
      if constexpr (std::is_integral_v<C>) return b == C(0) ? C(0) : C(a / b);
      else return a / b;
    case BinaryOp::Maximum: return (a != a || a > b) ? a : b;  // NaN propagates
    case BinaryOp::Minimum: return (a != a || a < b) ? a : b;
    case BinaryOp::Pow:
      if constexpr (std::is_floating_point_v<C>) return C(std::pow(a, b));
      else return C(std::pow(double(a), double(b)));
    default: break;
  }
  if constexpr (std::is_floating_point_v<C>) return backward_math(op, a, b);
  else return C(0);
}

// The comparisons (is_comparison), on compute-type values.
template <typename C> BYTEGRAD_HOST_DEVICE inline bool compare(BinaryOp op, C a, C b) {
  switch (op) {
    case BinaryOp::Equal: return a == b;
    case BinaryOp::NotEqual: return a != b;
    case BinaryOp::Less: return a < b;
    case BinaryOp::LessEqual: return a <= b;
    case BinaryOp::Greater: return a > b;
    default: return a >= b;
  }
}

}  // namespace bytegrad::kernels::math
