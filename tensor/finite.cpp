#include "tensor/finite.h"

#include <cmath>

#include "tensor/ops.h"

namespace bytegrad::ops {

bool all_finite(const Tensor& x) {
  if (!is_floating(x.dtype()) || x.numel() == 0) return true;
  // x - x is 0 for a finite value and NaN for NaN or +-inf; any NaN makes the sum NaN.
  const Tensor sum = reduce(ReduceOp::Sum, binary(BinaryOp::Sub, x, x), {}, false);
  return std::isfinite(to(to(sum, DType::Float64), kCPU).item<double>());
}

bool has_nan(const Tensor& x) {
  if (!is_floating(x.dtype()) || x.numel() == 0) return false;
  // NaN is the one value that differs from itself.
  const Tensor count = reduce(ReduceOp::Sum, binary(BinaryOp::NotEqual, x, x), {}, false);
  return to(to(count, DType::Float64), kCPU).item<double>() > 0;
}

std::string first_nonfinite(const std::vector<std::pair<std::string, Tensor>>& named) {
  for (const auto& [name, tensor] : named)
    if (tensor.defined() && !all_finite(tensor)) return name;
  return "";
}

}  // namespace bytegrad::ops
