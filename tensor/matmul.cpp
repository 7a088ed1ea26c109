// torch.matmul semantics on top of the backend's batched GEMM: 1-D operands gain and then lose
// a dimension, batch dimensions broadcast, and transposed layouts are passed to BLAS as
// transpose flags instead of being copied.
#include <optional>

#include "base/error.h"
#include "tensor/ops.h"

namespace bytegrad::ops {
namespace {

struct MatrixLayout {
  bool transposed;
  int64_t leading_dimension;
};

// How BLAS can read the trailing [rows, cols] matrices of t without a copy, if it can.
std::optional<MatrixLayout> blas_layout(const Tensor& t) {
  const int64_t rows = t.size(-2), cols = t.size(-1);
  const int64_t row_stride = t.strides()[size_t(t.dim() - 2)];
  const int64_t col_stride = t.strides()[size_t(t.dim() - 1)];
  if ((cols == 1 || col_stride == 1) && (rows == 1 || row_stride >= std::max<int64_t>(cols, 1)))
    return MatrixLayout{false, rows == 1 ? std::max<int64_t>(cols, 1) : row_stride};
  if ((rows == 1 || row_stride == 1) && (cols == 1 || col_stride >= std::max<int64_t>(rows, 1)))
    return MatrixLayout{true, cols == 1 ? std::max<int64_t>(rows, 1) : col_stride};
  return std::nullopt;
}

// Element offsets of each batch entry of t (batch dims = all but the last two).
std::vector<int64_t> batch_offsets(const Tensor& t) {
  const int64_t batch_dims = t.dim() - 2;
  int64_t count = 1;
  for (int64_t d = 0; d < batch_dims; ++d) count *= t.shape()[size_t(d)];
  std::vector<int64_t> offsets(static_cast<size_t>(count));
  for (int64_t e = 0; e < count; ++e) {
    int64_t rest = e, offset = 0;
    for (int64_t d = batch_dims - 1; d >= 0; --d) {
      offset += (rest % t.shape()[size_t(d)]) * t.strides()[size_t(d)];
      rest /= t.shape()[size_t(d)];
    }
    offsets[size_t(e)] = offset;
  }
  return offsets;
}

}  // namespace

Tensor matmul(const Tensor& a, const Tensor& b) {
  check_same_device("matmul", a, b);
  BYTEGRAD_CHECK(a.dim() >= 1 && b.dim() >= 1, "matmul: both operands need at least one dimension, got ",
        shape_str(a.shape()), " and ", shape_str(b.shape()));
  BYTEGRAD_CHECK(a.dtype() == b.dtype(), "matmul: dtypes differ (", a.dtype(), " ", shape_str(a.shape()),
        " and ", b.dtype(), " ", shape_str(b.shape()), ")");
  const Tensor lhs = a.dim() == 1 ? unsqueeze(a, 0) : a;
  const Tensor rhs = b.dim() == 1 ? unsqueeze(b, 1) : b;
  const int64_t m = lhs.size(-2), k = lhs.size(-1), n = rhs.size(-1);
  BYTEGRAD_CHECK(rhs.size(-2) == k, "matmul: shapes ", shape_str(a.shape()), " and ",
        shape_str(b.shape()), " do not align (", k, " != ", rhs.size(-2), ")");

  const Shape lhs_batch(lhs.shape().begin(), lhs.shape().end() - 2);
  const Shape rhs_batch(rhs.shape().begin(), rhs.shape().end() - 2);
  Shape out_shape = broadcast_shapes(lhs_batch, rhs_batch, "matmul");
  const Shape batch = out_shape;
  out_shape.push_back(m);
  out_shape.push_back(n);
  // An empty inner dimension gives zeros; otherwise GEMM overwrites every element.
  Tensor out = k == 0 ? zeros(out_shape, {a.dtype(), a.device()}) : empty(out_shape, {a.dtype(), a.device()});

  if (k > 0 && out.numel() > 0) {
    auto prepare = [&](const Tensor& t, int64_t rows, int64_t cols) {
      const Tensor dense = blas_layout(t) ? t : contiguous(t);
      Shape full = batch;
      full.push_back(rows);
      full.push_back(cols);
      return expand(dense, full);
    };
    const Tensor x = prepare(lhs, m, k), y = prepare(rhs, k, n);
    const MatrixLayout x_layout = *blas_layout(x), y_layout = *blas_layout(y);
    const std::vector<int64_t> x_offsets = batch_offsets(x), y_offsets = batch_offsets(y);
    std::vector<int64_t> out_offsets(x_offsets.size());
    for (size_t e = 0; e < out_offsets.size(); ++e) out_offsets[e] = int64_t(e) * m * n;
    kernels::GemmBatch g{m, n, k, x_layout.transposed, y_layout.transposed,
                         x_layout.leading_dimension, y_layout.leading_dimension, n,
                         x_offsets, y_offsets, out_offsets};
    kernels::backend_for(a.device()).gemm(a.dtype(), x.data_ptr(), y.data_ptr(), out.data_ptr(), g);
  }
  if (a.dim() == 1) out = squeeze(out, -2);
  if (b.dim() == 1) out = squeeze(out, -1);
  return out;
}

}  // namespace bytegrad::ops
