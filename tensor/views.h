// Views: new layouts over the same storage, with no copying (except reshape of a layout that
// cannot be viewed, which copies, as in PyTorch). Also contiguous(), dtype and device moves.
// These record no gradient; the differentiable versions are in autograd/functions.h.
#pragma once

#include <vector>

#include "tensor/tensor.h"

namespace bytegrad::ops {

// A -1 in `shape` is inferred from the element count.
Tensor view(const Tensor& x, Shape shape);     // throws if the layout cannot be viewed
Tensor reshape(const Tensor& x, Shape shape);  // a view when possible, else a copy
Tensor flatten(const Tensor& x, int64_t start_dim = 0, int64_t end_dim = -1);
Tensor transpose(const Tensor& x, int64_t dim0, int64_t dim1);
Tensor permute(const Tensor& x, const std::vector<int64_t>& dims);
// Moves dim `source` to position `destination`, keeping the other dims in order.
Tensor movedim(const Tensor& x, int64_t source, int64_t destination);
// Elements [start, start + length) of dim.
Tensor narrow(const Tensor& x, int64_t dim, int64_t start, int64_t length);
// Python-style slice of dim: start/end clamp to the size, negatives count from the end.
Tensor slice(const Tensor& x, int64_t dim, int64_t start, int64_t end, int64_t step = 1);
// Index `index` of dim, removing the dimension.
Tensor select(const Tensor& x, int64_t dim, int64_t index);
// Broadcast to `shape` (size-1 dims stretch with stride 0; -1 keeps a size).
Tensor expand(const Tensor& x, const Shape& shape);
Tensor squeeze(const Tensor& x, int64_t dim);  // dim must have size 1
Tensor squeeze(const Tensor& x);               // every size-1 dim
Tensor unsqueeze(const Tensor& x, int64_t dim);

// A dense row-major copy, or x itself when already dense.
Tensor contiguous(const Tensor& x);
// A dense copy converted to dtype / moved to device, or x itself when nothing changes. A move
// waits for x's device to finish writing x; between two accelerators the bytes pass through a
// host buffer.
Tensor to(const Tensor& x, DType dtype);
Tensor to(const Tensor& x, Device device);
Tensor clone(const Tensor& x);  // always a fresh dense copy
// dst[...] = src[...] with broadcasting and conversion, in place (a plain byte copy on the
// device when both are contiguous with one shape and dtype). A source on another device is
// moved to dst's first, as torch's copy_ does (loading a CPU checkpoint into CUDA parameters).
void copy_(const Tensor& dst, const Tensor& src);

}  // namespace bytegrad::ops
