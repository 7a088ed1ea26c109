#include "base/error.h"
#include "tensor/ops.h"

namespace bytegrad::ops {

void check_same_device(const char* op, const Tensor& a, const Tensor& b) {
  BYTEGRAD_CHECK(a.device() == b.device(), op, ": tensors on different devices (", a.device(), " with shape ",
        shape_str(a.shape()), ", ", b.device(), " with shape ", shape_str(b.shape()),
        "); move them with to(device) first");
}

void check_floating(const char* op, const Tensor& x) {
  BYTEGRAD_CHECK(is_floating(x.dtype()), op, ": expected a floating-point tensor, got ", x.dtype(),
        " with shape ", shape_str(x.shape()));
}

namespace {

bool is_float_only(UnaryOp op) {
  switch (op) {
    case UnaryOp::Neg: case UnaryOp::Abs: case UnaryOp::Square: case UnaryOp::Sign:
    case UnaryOp::Relu: case UnaryOp::Clamp: case UnaryOp::AddScalar: case UnaryOp::MulScalar:
    case UnaryOp::RSubScalar: case UnaryOp::PowScalar:
      return false;
    default:
      return true;
  }
}

bool is_comparison(BinaryOp op) {
  return op >= BinaryOp::Equal && op <= BinaryOp::GreaterEqual;
}

const char* binary_name(BinaryOp op) {
  switch (op) {
    case BinaryOp::Add: return "add";
    case BinaryOp::Sub: return "sub";
    case BinaryOp::Mul: return "mul";
    case BinaryOp::Div: return "div";
    case BinaryOp::Pow: return "pow";
    case BinaryOp::Maximum: return "maximum";
    case BinaryOp::Minimum: return "minimum";
    case BinaryOp::Equal: return "eq";
    case BinaryOp::NotEqual: return "ne";
    case BinaryOp::Less: return "lt";
    case BinaryOp::LessEqual: return "le";
    case BinaryOp::Greater: return "gt";
    case BinaryOp::GreaterEqual: return "ge";
    default: return "backward";
  }
}

}  // namespace

Tensor unary(UnaryOp op, const Tensor& x, double alpha, double beta) {
  Tensor input = x;
  if (is_float_only(op) && !is_floating(x.dtype())) input = to(x, DType::Float32);
  BYTEGRAD_CHECK(input.dtype() != DType::Bool, "unary: bool tensor of shape ", shape_str(x.shape()),
        " has no arithmetic; convert it with to(dtype) first");
  Tensor out = empty(input.shape(), {input.dtype(), input.device()});
  kernels::backend_for(x.device()).unary(op, input.view(), out.view(), alpha, beta);
  return out;
}

Tensor binary(BinaryOp op, const Tensor& a, const Tensor& b) {
  const char* name = binary_name(op);
  check_same_device(name, a, b);
  const Shape shape = broadcast_shapes(a.shape(), b.shape(), name);
  DType dtype = promote_types(a.dtype(), b.dtype());
  if (op == BinaryOp::Div && !is_floating(dtype)) dtype = DType::Float32;
  if (!is_comparison(op))
    BYTEGRAD_CHECK(dtype != DType::Bool, name, ": bool tensors (shapes ", shape_str(a.shape()), " and ",
          shape_str(b.shape()), ") have no arithmetic; convert them with to(dtype) first");
  // Broadcast only what needs it: each view costs an allocation on this hot path.
  auto operand = [&](const Tensor& t) {
    const Tensor converted = to(t, dtype);
    return converted.shape() == shape ? converted : expand(converted, shape);
  };
  const Tensor lhs = operand(a), rhs = operand(b);
  Tensor out = empty(shape, {is_comparison(op) ? DType::Bool : dtype, a.device()});
  kernels::backend_for(a.device()).binary(op, lhs.view(), rhs.view(), out.view());
  return out;
}

Tensor where(const Tensor& condition, const Tensor& a, const Tensor& b) {
  BYTEGRAD_CHECK(condition.dtype() == DType::Bool, "where: condition must be bool, got ",
        condition.dtype(), " with shape ", shape_str(condition.shape()));
  check_same_device("where", condition, a);
  check_same_device("where", a, b);
  const Shape shape =
      broadcast_shapes(condition.shape(), broadcast_shapes(a.shape(), b.shape(), "where"), "where");
  const DType dtype = promote_types(a.dtype(), b.dtype());
  Tensor out = empty(shape, {dtype, a.device()});
  kernels::backend_for(a.device())
      .where(expand(condition, shape).view(), expand(to(a, dtype), shape).view(),
             expand(to(b, dtype), shape).view(), out.view());
  return out;
}

}  // namespace bytegrad::ops
