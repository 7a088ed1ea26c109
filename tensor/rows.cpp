// Ops along one dimension: the dimension is moved last and made dense, the backend works on
// rows, and the result is moved back.
#include "base/error.h"
#include "tensor/ops.h"

namespace bytegrad::ops {
namespace {

// x with `dim` moved last, dense.
Tensor rows_of(const Tensor& x, int64_t dim) {
  return x.dim() == 0 ? contiguous(x) : contiguous(movedim(x, dim, -1));
}

// Inverse of rows_of for a result with the same row layout.
Tensor from_rows(const Tensor& rows, int64_t dim, int64_t ndim) {
  return ndim == 0 ? rows : movedim(rows, -1, dim);
}

}  // namespace

Tensor softmax(const Tensor& x, int64_t dim, bool log) {
  const char* name = log ? "log_softmax" : "softmax";
  check_floating(name, x);
  dim = wrap_dim(dim, x.dim(), name);
  const Tensor in = rows_of(x, dim);
  Tensor out = empty_like(in);
  kernels::backend_for(x.device()).softmax(in.view(), out.view(), log);
  return from_rows(out, dim, x.dim());
}

Tensor softmax_backward(const Tensor& y, const Tensor& grad_y, int64_t dim, bool log) {
  dim = wrap_dim(dim, y.dim(), "softmax_backward");
  const Tensor ys = rows_of(y, dim), gs = rows_of(to(grad_y, y.dtype()), dim);
  Tensor grad_x = empty_like(ys);
  kernels::backend_for(y.device()).softmax_backward(ys.view(), gs.view(), grad_x.view(), log);
  return from_rows(grad_x, dim, y.dim());
}

Tensor cumsum(const Tensor& x, int64_t dim) {
  dim = wrap_dim(dim, x.dim(), "cumsum");
  const Tensor in = rows_of(is_integral(x.dtype()) ? to(x, DType::Int64) : x, dim);
  Tensor out = empty_like(in);
  kernels::backend_for(x.device()).cumsum(in.view(), out.view());
  return from_rows(out, dim, x.dim());
}

std::pair<Tensor, Tensor> sort(const Tensor& x, int64_t dim, bool descending) {
  dim = wrap_dim(dim, x.dim(), "sort");
  const Tensor in = rows_of(x, dim);
  Tensor values = empty_like(in);
  Tensor indices = empty(in.shape(), {DType::Int64, x.device()});
  kernels::backend_for(x.device()).sort(in.view(), values.view(), indices.view(), descending);
  return {from_rows(values, dim, x.dim()), from_rows(indices, dim, x.dim())};
}

std::pair<Tensor, Tensor> topk(const Tensor& x, int64_t k, int64_t dim, bool largest) {
  dim = wrap_dim(dim, x.dim(), "topk");
  const int64_t size = x.dim() ? x.shape()[size_t(dim)] : 1;
  BYTEGRAD_CHECK(k >= 0 && k <= size, "topk: k = ", k, " is out of range for dim ", dim, " of size ",
        size, " (shape ", shape_str(x.shape()), ")");
  const Tensor in = rows_of(x, dim);
  Shape out_shape = in.shape();
  if (!out_shape.empty()) out_shape.back() = k;
  Tensor values = empty(out_shape, {x.dtype(), x.device()});
  Tensor indices = empty(out_shape, {DType::Int64, x.device()});
  kernels::backend_for(x.device()).topk(in.view(), k, largest, values.view(), indices.view());
  return {from_rows(values, dim, x.dim()), from_rows(indices, dim, x.dim())};
}

}  // namespace bytegrad::ops
