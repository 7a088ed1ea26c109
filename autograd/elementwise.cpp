// Gradients of elementwise ops. Backward runs with recording off, so each formula is written
// with the same differentiable functions it differentiates.
#include "autograd/functions.h"
#include "autograd/node.h"
#include "autograd/operators.h"

namespace bytegrad {

using ops::BinaryOp;
using ops::UnaryOp;

namespace {

// Records an op of one input whose input gradient is `gradient(grad_output)`.
template <typename Gradient>
Tensor record_unary(const char* name, Tensor out, const Tensor& x, Gradient gradient) {
  if (!should_record({x})) return out;
  return record(name, std::move(out), {x},
                [gradient](const Tensor& g, const Needs&) { return std::vector<Tensor>{gradient(g)}; });
}

// Records an op of two broadcasting inputs; each gradient is computed only when needed and
// summed back to its input's shape.
template <typename GradA, typename GradB>
Tensor record_binary(const char* name, Tensor out, const Tensor& a, const Tensor& b, GradA grad_a,
                     GradB grad_b) {
  if (!should_record({a, b})) return out;
  return record(name, std::move(out), {a, b},
                [grad_a, grad_b, sa = a.shape(), sb = b.shape()](const Tensor& g, const Needs& need) {
                  return std::vector<Tensor>{need[0] ? sum_to(grad_a(g), sa) : Tensor(),
                                             need[1] ? sum_to(grad_b(g), sb) : Tensor()};
                });
}

// An integer tensor meets a fractional scalar in float32, as PyTorch promotes it.
Tensor scalar_operand(const Tensor& x, double s) {
  const bool fractional = s != double(int64_t(s));
  return !is_floating(x.dtype()) && fractional ? ops::to(x, DType::Float32) : x;
}

Tensor fused_backward(BinaryOp op, const Tensor& saved, const Tensor& g) {
  return ops::binary(op, saved, g);
}

}  // namespace

Tensor add(const Tensor& a, const Tensor& b) {
  return record_binary("add", ops::binary(BinaryOp::Add, a, b), a, b,
                       [](const Tensor& g) { return g; }, [](const Tensor& g) { return g; });
}

Tensor sub(const Tensor& a, const Tensor& b) {
  return record_binary("sub", ops::binary(BinaryOp::Sub, a, b), a, b,
                       [](const Tensor& g) { return g; }, [](const Tensor& g) { return neg(g); });
}

Tensor mul(const Tensor& a, const Tensor& b) {
  return record_binary("mul", ops::binary(BinaryOp::Mul, a, b), a, b,
                       [b = b.detach()](const Tensor& g) { return g * b; },
                       [a = a.detach()](const Tensor& g) { return g * a; });
}

Tensor div(const Tensor& a, const Tensor& b) {
  return record_binary("div", ops::binary(BinaryOp::Div, a, b), a, b,
                       [b = b.detach()](const Tensor& g) { return g / b; },
                       [a = a.detach(), b = b.detach()](const Tensor& g) { return neg(g * a / (b * b)); });
}

Tensor pow(const Tensor& a, const Tensor& b) {
  Tensor out = ops::binary(BinaryOp::Pow, a, b);
  return record_binary(
      "pow", out, a, b,
      [a = a.detach(), b = b.detach()](const Tensor& g) { return g * b * pow(a, b - 1.0); },
      [a = a.detach(), out = out.detach()](const Tensor& g) { return g * out * log(a); });
}

Tensor maximum(const Tensor& a, const Tensor& b) {
  // Share of the gradient that goes to a: 1 where a wins, 1/2 on ties, 0 where b wins.
  auto share_a = [](const Tensor& x, const Tensor& y) {
    return ops::to(gt(x, y), x.dtype()) + ops::to(eq(x, y), x.dtype()) * 0.5;
  };
  return record_binary(
      "maximum", ops::binary(BinaryOp::Maximum, a, b), a, b,
      [=, a = a.detach(), b = b.detach()](const Tensor& g) { return g * share_a(a, b); },
      [=, a = a.detach(), b = b.detach()](const Tensor& g) { return g * share_a(b, a); });
}

Tensor minimum(const Tensor& a, const Tensor& b) {
  auto share_a = [](const Tensor& x, const Tensor& y) {
    return ops::to(lt(x, y), x.dtype()) + ops::to(eq(x, y), x.dtype()) * 0.5;
  };
  return record_binary(
      "minimum", ops::binary(BinaryOp::Minimum, a, b), a, b,
      [=, a = a.detach(), b = b.detach()](const Tensor& g) { return g * share_a(a, b); },
      [=, a = a.detach(), b = b.detach()](const Tensor& g) { return g * share_a(b, a); });
}

Tensor add(const Tensor& x, double s) {
  return record_unary("add", ops::unary(UnaryOp::AddScalar, scalar_operand(x, s), s), x,
                      [](const Tensor& g) { return g; });
}

Tensor sub(const Tensor& x, double s) { return add(x, -s); }

Tensor rsub(double s, const Tensor& x) {
  return record_unary("rsub", ops::unary(UnaryOp::RSubScalar, scalar_operand(x, s), s), x,
                      [](const Tensor& g) { return neg(g); });
}

Tensor mul(const Tensor& x, double s) {
  return record_unary("mul", ops::unary(UnaryOp::MulScalar, scalar_operand(x, s), s), x,
                      [s](const Tensor& g) { return g * s; });
}

Tensor div(const Tensor& x, double s) {
  const Tensor input = is_floating(x.dtype()) ? x : ops::to(x, DType::Float32);
  return mul(input, 1.0 / s);
}

Tensor rdiv(double s, const Tensor& x) {
  return record_unary("rdiv", ops::unary(UnaryOp::RDivScalar, x, s), x,
                      [s, x = x.detach()](const Tensor& g) { return neg(g * s / (x * x)); });
}

Tensor pow(const Tensor& x, double exponent) {
  return record_unary("pow", ops::unary(UnaryOp::PowScalar, scalar_operand(x, exponent), exponent), x,
                      [exponent, x = x.detach()](const Tensor& g) {
                        return g * exponent * pow(x, exponent - 1.0);
                      });
}

Tensor neg(const Tensor& x) {
  return record_unary("neg", ops::unary(UnaryOp::Neg, x), x, [](const Tensor& g) { return neg(g); });
}

Tensor exp(const Tensor& x) {
  Tensor y = ops::unary(UnaryOp::Exp, x);
  return record_unary("exp", y, x, [y = y.detach()](const Tensor& g) { return g * y; });
}

Tensor log(const Tensor& x) {
  return record_unary("log", ops::unary(UnaryOp::Log, x), x,
                      [x = x.detach()](const Tensor& g) { return g / x; });
}

Tensor sqrt(const Tensor& x) {
  Tensor y = ops::unary(UnaryOp::Sqrt, x);
  return record_unary("sqrt", y, x, [y = y.detach()](const Tensor& g) { return g / (y * 2.0); });
}

Tensor rsqrt(const Tensor& x) {
  // y = x^(-1/2), dy/dx = -y^3 / 2
  Tensor y = ops::unary(UnaryOp::Rsqrt, x);
  return record_unary("rsqrt", y, x,
                      [y = y.detach()](const Tensor& g) { return g * y * y * y * -0.5; });
}

Tensor tanh(const Tensor& x) {
  Tensor y = ops::unary(UnaryOp::Tanh, x);
  return record_unary("tanh", y, x, [y = y.detach()](const Tensor& g) {
    return fused_backward(BinaryOp::TanhBackwardFromOutput, y, g);
  });
}

Tensor sigmoid(const Tensor& x) {
  Tensor y = ops::unary(UnaryOp::Sigmoid, x);
  return record_unary("sigmoid", y, x, [y = y.detach()](const Tensor& g) {
    return fused_backward(BinaryOp::SigmoidBackwardFromOutput, y, g);
  });
}

Tensor silu(const Tensor& x) {
  return record_unary("silu", ops::unary(UnaryOp::Silu, x), x, [x = x.detach()](const Tensor& g) {
    return fused_backward(BinaryOp::SiluBackward, x, g);
  });
}

Tensor gelu(const Tensor& x, bool tanh_approximation) {
  const UnaryOp op = tanh_approximation ? UnaryOp::GeluTanh : UnaryOp::Gelu;
  const BinaryOp grad_op = tanh_approximation ? BinaryOp::GeluTanhBackward : BinaryOp::GeluBackward;
  return record_unary("gelu", ops::unary(op, x), x, [grad_op, x = x.detach()](const Tensor& g) {
    return fused_backward(grad_op, x, g);
  });
}

Tensor relu(const Tensor& x) {
  return record_unary("relu", ops::unary(UnaryOp::Relu, x), x, [x = x.detach()](const Tensor& g) {
    return fused_backward(BinaryOp::ReluBackward, x, g);
  });
}

Tensor abs(const Tensor& x) {
  return record_unary("abs", ops::unary(UnaryOp::Abs, x), x, [x = x.detach()](const Tensor& g) {
    return g * ops::unary(UnaryOp::Sign, x);
  });
}

Tensor square(const Tensor& x) {
  return record_unary("square", ops::unary(UnaryOp::Square, x), x,
                      [x = x.detach()](const Tensor& g) { return g * x * 2.0; });
}

Tensor clamp(const Tensor& x, double low, double high) {
  BYTEGRAD_CHECK(low <= high, "clamp: low ", low, " exceeds high ", high);
  return record_unary("clamp", ops::unary(UnaryOp::Clamp, x, low, high), x,
                      [low, high, x = x.detach()](const Tensor& g) {
                        // Gradient passes where x lies inside [low, high].
                        const Tensor inside = ops::binary(BinaryOp::Mul, ops::to(ge(x, low), g.dtype()),
                                                          ops::to(le(x, high), g.dtype()));
                        return g * inside;
                      });
}

Tensor where(const Tensor& condition, const Tensor& a, const Tensor& b) {
  return record_binary(
      "where", ops::where(condition, a, b), a, b,
      [c = condition.detach()](const Tensor& g) { return ops::where(c, g, zeros({}, {g.dtype(), g.device()})); },
      [c = condition.detach()](const Tensor& g) { return ops::where(c, zeros({}, {g.dtype(), g.device()}), g); });
}

Tensor masked_fill(const Tensor& x, const Tensor& mask, double value) {
  return where(mask, full({}, value, {x.dtype(), x.device()}), x);
}

namespace {
// A scalar operand for comparisons: in a's dtype unless that would change its value.
Tensor scalar_like(const Tensor& a, double b) {
  const bool exact = is_floating(a.dtype()) || b == double(int64_t(b));
  return full({}, b, {exact ? a.dtype() : DType::Float64, a.device()});
}
}  // namespace

#define BYTEGRAD_COMPARISON(name, op)                                                  \
  Tensor name(const Tensor& a, const Tensor& b) { return ops::binary(BinaryOp::op, a, b); } \
  Tensor name(const Tensor& a, double b) {                                            \
    return ops::binary(BinaryOp::op, a, scalar_like(a, b));                           \
  }
BYTEGRAD_COMPARISON(eq, Equal)
BYTEGRAD_COMPARISON(ne, NotEqual)
BYTEGRAD_COMPARISON(lt, Less)
BYTEGRAD_COMPARISON(le, LessEqual)
BYTEGRAD_COMPARISON(gt, Greater)
BYTEGRAD_COMPARISON(ge, GreaterEqual)
#undef BYTEGRAD_COMPARISON

}  // namespace bytegrad
