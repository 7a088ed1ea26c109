#include <algorithm>

#include "base/error.h"
#include "tensor/ops.h"

namespace bytegrad::ops {
namespace {

const char* reduce_name(ReduceOp op) {
  switch (op) {
    case ReduceOp::Sum: return "sum";
    case ReduceOp::Mean: return "mean";
    case ReduceOp::Max: return "max";
    case ReduceOp::Min: return "min";
    case ReduceOp::ArgMax: return "argmax";
    case ReduceOp::ArgMin: return "argmin";
    case ReduceOp::LogSumExp: return "logsumexp";
    case ReduceOp::Prod: return "prod";
  }
  return "reduce";
}

// Which dims are reduced, wrapped and checked; empty `dims` means all of them.
std::vector<bool> reduced_mask(const Tensor& x, const std::vector<int64_t>& dims, const char* op) {
  std::vector<bool> reduced(size_t(x.dim()), dims.empty());
  for (int64_t d : dims) {
    const int64_t w = wrap_dim(d, x.dim(), op);
    if (x.dim() == 0) continue;
    BYTEGRAD_CHECK(!reduced[size_t(w)], op, ": dim ", w, " listed twice");
    reduced[size_t(w)] = true;
  }
  return reduced;
}

DType result_dtype(ReduceOp op, DType input) {
  if (op == ReduceOp::ArgMax || op == ReduceOp::ArgMin) return DType::Int64;
  if ((op == ReduceOp::Sum || op == ReduceOp::Prod) && is_integral(input)) return DType::Int64;
  return input;
}

}  // namespace

Tensor reduce(ReduceOp op, const Tensor& x, std::vector<int64_t> dims, bool keepdim) {
  const char* name = reduce_name(op);
  if (op == ReduceOp::Mean || op == ReduceOp::LogSumExp) check_floating(name, x);
  const std::vector<bool> reduced = reduced_mask(x, dims, name);

  // Move kept dims first and reduced dims last (a view), as the kernel expects.
  std::vector<int64_t> order;
  Shape kept_shape, keepdim_shape;
  int64_t reduced_count = 1;
  for (int64_t d = 0; d < x.dim(); ++d)
    if (!reduced[size_t(d)]) {
      order.push_back(d);
      kept_shape.push_back(x.shape()[size_t(d)]);
      keepdim_shape.push_back(x.shape()[size_t(d)]);
    } else {
      keepdim_shape.push_back(1);
      reduced_count *= x.shape()[size_t(d)];
    }
  const int64_t reduced_dims = x.dim() - int64_t(order.size());
  for (int64_t d = 0; d < x.dim(); ++d)
    if (reduced[size_t(d)]) order.push_back(d);
  if (op != ReduceOp::Sum && op != ReduceOp::Mean && op != ReduceOp::Prod)
    BYTEGRAD_CHECK(reduced_count > 0, name, ": cannot reduce over an empty dimension (shape ",
          shape_str(x.shape()), ")");

  Tensor input = x.dim() ? permute(x, order) : x;
  if (input.dtype() == DType::Bool) input = to(input, DType::Int64);
  Tensor out = empty(kept_shape, {result_dtype(op, input.dtype()), x.device()});
  kernels::backend_for(x.device()).reduce(op, input.view(), reduced_dims, out.view(), {});
  return keepdim ? view(out, keepdim_shape) : out;
}

std::pair<Tensor, Tensor> reduce_with_indices(ReduceOp op, const Tensor& x, int64_t dim,
                                              bool keepdim) {
  BYTEGRAD_CHECK(op == ReduceOp::Max || op == ReduceOp::Min, "reduce_with_indices: only max and min");
  const char* name = reduce_name(op);
  dim = wrap_dim(dim, x.dim(), name);
  const Tensor input = x.dim() ? movedim(x, dim, -1) : x;
  BYTEGRAD_CHECK(x.dim() == 0 || x.shape()[size_t(dim)] > 0, name, ": cannot reduce over an empty dimension (shape ",
        shape_str(x.shape()), ")");
  Shape kept(input.shape().begin(), input.shape().end() - (x.dim() ? 1 : 0));
  Tensor values = empty(kept, {x.dtype(), x.device()});
  Tensor indices = empty(kept, {DType::Int64, x.device()});
  kernels::backend_for(x.device())
      .reduce(op, input.view(), x.dim() ? 1 : 0, values.view(), indices.view());
  if (keepdim && x.dim()) return {unsqueeze(values, dim), unsqueeze(indices, dim)};
  return {values, indices};
}

}  // namespace bytegrad::ops
