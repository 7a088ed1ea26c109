// Index-driven ops and joining. Indices are checked here, before any kernel runs, so a bad
// index is an Error naming the op, the index and the size it must fit.
#include "base/error.h"
#include "tensor/ops.h"

namespace bytegrad::ops {
namespace {

// `index` as a dense int64 tensor on its own device, every value checked to lie in [-size, size)
// and negatives wrapped once. Only its minimum and maximum travel to the host, for the check.
Tensor checked_index(const char* op, const Tensor& index, int64_t size, int64_t dim) {
  BYTEGRAD_CHECK(index.dtype() == DType::Int64 || index.dtype() == DType::Int32, op,
        ": index must be int64 or int32, got ", index.dtype());
  const Tensor idx = contiguous(to(index, DType::Int64));
  if (idx.numel() == 0) return idx;
  const int64_t lowest = reduce(ReduceOp::Min, idx, {}, false).item<int64_t>();
  const int64_t highest = reduce(ReduceOp::Max, idx, {}, false).item<int64_t>();
  for (const int64_t v : {lowest, highest})
    BYTEGRAD_CHECK(v >= -size && v < size, op, ": index ", v, " is out of range for dim ", dim,
          " of size ", size);
  if (lowest >= 0) return idx;
  const TensorOptions options{DType::Int64, idx.device()};
  const Tensor negative = binary(BinaryOp::Less, idx, scalar_tensor(0, options));
  return where(negative, binary(BinaryOp::Add, idx, scalar_tensor(double(size), options)), idx);
}

void check_same_rank(const char* op, const Tensor& x, const Tensor& other, const char* what) {
  BYTEGRAD_CHECK(x.dim() == other.dim(), op, ": ", what, " of shape ", shape_str(other.shape()),
        " must have as many dimensions as the input ", shape_str(x.shape()));
}

}  // namespace

Tensor gather(const Tensor& x, int64_t dim, const Tensor& index) {
  dim = wrap_dim(dim, x.dim(), "gather");
  check_same_rank("gather", x, index, "index");
  for (int64_t d = 0; d < x.dim(); ++d)
    BYTEGRAD_CHECK(d == dim || index.shape()[size_t(d)] == x.shape()[size_t(d)], "gather: index shape ",
          shape_str(index.shape()), " differs from input shape ", shape_str(x.shape()),
          " outside dim ", dim);
  const Tensor idx = checked_index("gather", index, x.shape()[size_t(dim)], dim);
  const Tensor in = contiguous(x);
  Tensor out = empty(index.shape(), {x.dtype(), x.device()});
  kernels::backend_for(x.device()).gather(in.view(), idx.view(), out.view(), dim);
  return out;
}

Tensor scatter_add(const Tensor& x, int64_t dim, const Tensor& index, const Tensor& src) {
  dim = wrap_dim(dim, x.dim(), "scatter_add");
  check_same_rank("scatter_add", x, index, "index");
  BYTEGRAD_CHECK(index.shape() == src.shape(), "scatter_add: index shape ", shape_str(index.shape()),
        " and src shape ", shape_str(src.shape()), " must match");
  for (int64_t d = 0; d < x.dim(); ++d)
    BYTEGRAD_CHECK(d == dim || index.shape()[size_t(d)] == x.shape()[size_t(d)],
          "scatter_add: index shape ", shape_str(index.shape()), " differs from input shape ",
          shape_str(x.shape()), " outside dim ", dim);
  const Tensor idx = checked_index("scatter_add", index, x.shape()[size_t(dim)], dim);
  Tensor out = clone(x);
  const Tensor values = contiguous(to(src, x.dtype()));
  kernels::backend_for(x.device()).scatter_add(out.view(), idx.view(), values.view(), dim);
  return out;
}

Tensor index_select(const Tensor& x, int64_t dim, const Tensor& index) {
  dim = wrap_dim(dim, x.dim(), "index_select");
  BYTEGRAD_CHECK(index.dim() <= 1, "index_select: index must be 1-D, got shape ", shape_str(index.shape()));
  const Tensor idx = checked_index("index_select", index, x.dim() ? x.shape()[size_t(dim)] : 1, dim);
  const Tensor in = contiguous(x);
  Shape shape = x.shape();
  if (!shape.empty()) shape[size_t(dim)] = idx.numel();
  Tensor out = empty(shape, {x.dtype(), x.device()});
  kernels::backend_for(x.device()).index_select(in.view(), idx.view(), out.view(), dim);
  return out;
}

Tensor index_add(const Tensor& x, int64_t dim, const Tensor& index, const Tensor& src) {
  Tensor out = clone(x);
  index_add_(out, dim, index, src);
  return out;
}

void index_add_(const Tensor& dst, int64_t dim, const Tensor& index, const Tensor& src) {
  dim = wrap_dim(dim, dst.dim(), "index_add");
  BYTEGRAD_CHECK(dst.is_contiguous(), "index_add_: the destination of shape ", shape_str(dst.shape()),
        " must be contiguous to be written in place");
  BYTEGRAD_CHECK(index.dim() <= 1, "index_add: index must be 1-D, got shape ", shape_str(index.shape()));
  Shape expected = dst.shape();
  expected[size_t(dim)] = index.numel();
  BYTEGRAD_CHECK(src.shape() == expected, "index_add: src shape ", shape_str(src.shape()),
        " must be ", shape_str(expected), " for input ", shape_str(dst.shape()), " and ",
        index.numel(), " indices");
  const Tensor idx = checked_index("index_add", index, dst.shape()[size_t(dim)], dim);
  const Tensor values = contiguous(to(src, dst.dtype()));
  kernels::backend_for(dst.device()).index_add(dst.view(), idx.view(), values.view(), dim);
}

Tensor triangle(const Tensor& x, int64_t k, bool upper) {
  BYTEGRAD_CHECK(x.dim() >= 2, upper ? "triu" : "tril", ": expected at least 2 dimensions, got shape ",
        shape_str(x.shape()));
  const Tensor in = contiguous(x);
  Tensor out = empty_like(in);
  kernels::backend_for(x.device()).triangle(in.view(), out.view(), k, upper);
  return out;
}

Tensor cat(const std::vector<Tensor>& tensors, int64_t dim) {
  BYTEGRAD_CHECK(!tensors.empty(), "cat: expected at least one tensor");
  const Tensor& first = tensors.front();
  BYTEGRAD_CHECK(first.dim() > 0, "cat: zero-dimensional tensors cannot be concatenated");
  dim = wrap_dim(dim, first.dim(), "cat");
  Shape shape = first.shape();
  DType dtype = first.dtype();
  int64_t total = 0;
  for (size_t i = 0; i < tensors.size(); ++i) {
    const Tensor& t = tensors[i];
    check_same_device("cat", first, t);
    BYTEGRAD_CHECK(t.dim() == first.dim(), "cat: tensor ", i, " has shape ", shape_str(t.shape()),
          ", expected ", first.dim(), " dimensions like ", shape_str(first.shape()));
    for (int64_t d = 0; d < first.dim(); ++d)
      BYTEGRAD_CHECK(d == dim || t.shape()[size_t(d)] == shape[size_t(d)], "cat: tensor ", i,
            " has shape ", shape_str(t.shape()), ", which differs from ",
            shape_str(first.shape()), " outside dim ", dim);
    total += t.shape()[size_t(dim)];
    dtype = promote_types(dtype, t.dtype());
  }
  shape[size_t(dim)] = total;
  Tensor out = empty(shape, {dtype, first.device()});
  int64_t start = 0;
  for (const Tensor& t : tensors) {
    copy_(narrow(out, dim, start, t.shape()[size_t(dim)]), t);
    start += t.shape()[size_t(dim)];
  }
  return out;
}

}  // namespace bytegrad::ops
