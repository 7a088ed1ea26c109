// Gradients of views and joins. A view's gradient is the inverse re-layout of the incoming
// gradient; a window (narrow, slice, select) scatters the gradient into zeros of the input's
// shape.
#include "autograd/functions.h"
#include "autograd/node.h"

namespace bytegrad {

namespace {

template <typename Gradient>
Tensor record_view(const char* name, Tensor out, const Tensor& x, Gradient gradient) {
  if (!should_record({x})) return out;
  return record(name, std::move(out), {x},
                [gradient](const Tensor& g, const Needs&) { return std::vector<Tensor>{gradient(g)}; });
}

// Zeros of `shape` with g written into the window that `window` selects.
template <typename Window>
Tensor scatter_into_window(const Tensor& g, const Shape& shape, Window window) {
  Tensor full_grad = zeros(shape, {g.dtype(), g.device()});
  ops::copy_(window(full_grad), g);
  return full_grad;
}

}  // namespace

Tensor sum_to(const Tensor& x, const Shape& shape) {
  if (x.shape() == shape) return x;
  const int64_t lead = x.dim() - int64_t(shape.size());
  BYTEGRAD_CHECK(lead >= 0, "sum_to: cannot sum shape ", shape_str(x.shape()), " down to ", shape_str(shape));
  std::vector<int64_t> dims;
  for (int64_t d = 0; d < x.dim(); ++d)
    if (d < lead || (shape[size_t(d - lead)] == 1 && x.shape()[size_t(d)] != 1)) dims.push_back(d);
  if (dims.empty()) return ops::reshape(x, shape);
  return ops::reshape(sum(x, dims, /*keepdim=*/true), shape);
}

Tensor reshape(const Tensor& x, const Shape& shape) {
  return record_view("reshape", ops::reshape(x, shape), x,
                     [s = x.shape()](const Tensor& g) { return ops::reshape(g, s); });
}

Tensor view(const Tensor& x, const Shape& shape) {
  return record_view("view", ops::view(x, shape), x,
                     [s = x.shape()](const Tensor& g) { return ops::reshape(g, s); });
}

Tensor flatten(const Tensor& x, int64_t start_dim, int64_t end_dim) {
  return record_view("flatten", ops::flatten(x, start_dim, end_dim), x,
                     [s = x.shape()](const Tensor& g) { return ops::reshape(g, s); });
}

Tensor transpose(const Tensor& x, int64_t dim0, int64_t dim1) {
  return record_view("transpose", ops::transpose(x, dim0, dim1), x,
                     [dim0, dim1](const Tensor& g) { return ops::transpose(g, dim0, dim1); });
}

Tensor permute(const Tensor& x, const std::vector<int64_t>& dims) {
  Tensor out = ops::permute(x, dims);
  std::vector<int64_t> inverse(dims.size());
  for (size_t i = 0; i < dims.size(); ++i) inverse[size_t(wrap_dim(dims[i], x.dim(), "permute"))] = int64_t(i);
  return record_view("permute", out, x, [inverse](const Tensor& g) { return ops::permute(g, inverse); });
}

Tensor movedim(const Tensor& x, int64_t source, int64_t destination) {
  return record_view("movedim", ops::movedim(x, source, destination), x,
                     [source, destination](const Tensor& g) { return ops::movedim(g, destination, source); });
}

Tensor narrow(const Tensor& x, int64_t dim, int64_t start, int64_t length) {
  return record_view("narrow", ops::narrow(x, dim, start, length), x,
                     [=, s = x.shape()](const Tensor& g) {
                       return scatter_into_window(g, s, [&](const Tensor& t) { return ops::narrow(t, dim, start, length); });
                     });
}

Tensor slice(const Tensor& x, int64_t dim, int64_t start, int64_t end, int64_t step) {
  return record_view("slice", ops::slice(x, dim, start, end, step), x,
                     [=, s = x.shape()](const Tensor& g) {
                       return scatter_into_window(g, s, [&](const Tensor& t) { return ops::slice(t, dim, start, end, step); });
                     });
}

Tensor select(const Tensor& x, int64_t dim, int64_t index) {
  return record_view("select", ops::select(x, dim, index), x, [=, s = x.shape()](const Tensor& g) {
    return scatter_into_window(g, s, [&](const Tensor& t) { return ops::select(t, dim, index); });
  });
}

Tensor expand(const Tensor& x, const Shape& shape) {
  return record_view("expand", ops::expand(x, shape), x,
                     [s = x.shape()](const Tensor& g) { return sum_to(g, s); });
}

Tensor squeeze(const Tensor& x, int64_t dim) {
  return record_view("squeeze", ops::squeeze(x, dim), x,
                     [s = x.shape()](const Tensor& g) { return ops::reshape(g, s); });
}

Tensor unsqueeze(const Tensor& x, int64_t dim) {
  return record_view("unsqueeze", ops::unsqueeze(x, dim), x,
                     [s = x.shape()](const Tensor& g) { return ops::reshape(g, s); });
}

Tensor contiguous(const Tensor& x) {
  if (x.is_contiguous()) return x;
  return record_view("contiguous", ops::clone(x), x, [](const Tensor& g) { return g; });
}

Tensor clone(const Tensor& x) {
  return record_view("clone", ops::clone(x), x, [](const Tensor& g) { return g; });
}

Tensor to(const Tensor& x, DType dtype) {
  if (x.dtype() == dtype) return x;
  return record_view("to", ops::to(x, dtype), x,
                     [from = x.dtype()](const Tensor& g) { return ops::to(g, from); });
}

Tensor to(const Tensor& x, Device device) {
  if (x.device() == device) return x;
  return record_view("to", ops::to(x, device), x,
                     [from = x.device()](const Tensor& g) { return ops::to(g, from); });
}

Tensor cat(const std::vector<Tensor>& tensors, int64_t dim) {
  Tensor out = ops::cat(tensors, dim);
  if (!should_record(tensors)) return out;
  const int64_t wrapped = wrap_dim(dim, tensors.front().dim(), "cat");
  std::vector<int64_t> sizes;
  for (const Tensor& t : tensors) sizes.push_back(t.shape()[size_t(wrapped)]);
  return record("cat", out, tensors, [wrapped, sizes](const Tensor& g, const Needs& need) {
    std::vector<Tensor> grads;
    int64_t start = 0;
    for (size_t i = 0; i < sizes.size(); ++i) {
      grads.push_back(need[i] ? ops::narrow(g, wrapped, start, sizes[i]) : Tensor());
      start += sizes[i];
    }
    return grads;
  });
}

Tensor stack(const std::vector<Tensor>& tensors, int64_t dim) {
  BYTEGRAD_CHECK(!tensors.empty(), "stack: expected at least one tensor");
  const int64_t wrapped = wrap_dim(dim, tensors.front().dim() + 1, "stack");
  std::vector<Tensor> expanded;
  for (size_t i = 0; i < tensors.size(); ++i) {
    BYTEGRAD_CHECK(tensors[i].shape() == tensors.front().shape(), "stack: tensor ", i, " has shape ",
          shape_str(tensors[i].shape()), ", expected ", shape_str(tensors.front().shape()),
          " like tensor 0");
    expanded.push_back(unsqueeze(tensors[i], wrapped));
  }
  return cat(expanded, wrapped);
}

std::vector<Tensor> split(const Tensor& x, int64_t size, int64_t dim) {
  BYTEGRAD_CHECK(size > 0, "split: piece size must be positive, got ", size);
  dim = wrap_dim(dim, x.dim(), "split");
  std::vector<Tensor> pieces;
  const int64_t total = x.shape()[size_t(dim)];
  for (int64_t start = 0; start < total; start += size)
    pieces.push_back(narrow(x, dim, start, std::min(size, total - start)));
  return pieces;
}

std::vector<Tensor> chunk(const Tensor& x, int64_t chunks, int64_t dim) {
  BYTEGRAD_CHECK(chunks > 0, "chunk: number of chunks must be positive, got ", chunks);
  const int64_t total = x.shape()[size_t(wrap_dim(dim, x.dim(), "chunk"))];
  return split(x, std::max<int64_t>(1, (total + chunks - 1) / chunks), dim);
}

}  // namespace bytegrad
