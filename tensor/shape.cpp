#include "tensor/shape.h"

#include <sstream>

#include "base/error.h"

namespace bytegrad {

int64_t numel_of(const Shape& shape) {
  int64_t n = 1;
  // Checked: a wrapped count (e.g. [2^57 + 1, 64] gives 64) would size a buffer too small for
  // the indices that kernels then compute from the shape.
  for (int64_t s : shape)
    BYTEGRAD_CHECK(!__builtin_mul_overflow(n, s, &n), "shape ", shape_str(shape),
                   ": the number of elements does not fit in 64 bits");
  return n;
}

Strides contiguous_strides(const Shape& shape) {
  Strides strides(shape.size());
  int64_t running = 1;
  for (size_t d = shape.size(); d-- > 0;) {
    strides[d] = running;
    running *= std::max<int64_t>(shape[d], 1);
  }
  return strides;
}

std::string shape_str(const Shape& shape) {
  std::ostringstream out;
  out << '[';
  for (size_t i = 0; i < shape.size(); ++i) out << (i ? ", " : "") << shape[i];
  out << ']';
  return out.str();
}

Shape broadcast_shapes(const Shape& a, const Shape& b, const char* op) {
  const size_t ndim = std::max(a.size(), b.size());
  Shape out(ndim);
  for (size_t i = 0; i < ndim; ++i) {
    const int64_t x = i < ndim - a.size() ? 1 : a[i - (ndim - a.size())];
    const int64_t y = i < ndim - b.size() ? 1 : b[i - (ndim - b.size())];
    BYTEGRAD_CHECK(x == y || x == 1 || y == 1, op, ": shapes ", shape_str(a), " and ", shape_str(b),
          " do not broadcast (dimension ", i, ": ", x, " vs ", y, ")");
    out[i] = x == 1 ? y : x;
  }
  return out;
}

int64_t wrap_dim(int64_t dim, int64_t ndim, const char* op) {
  const int64_t bound = std::max<int64_t>(ndim, 1);  // a scalar accepts dim 0 and -1
  BYTEGRAD_CHECK(dim >= -bound && dim < bound, op, ": dim ", dim, " is out of range for a tensor of ",
        ndim, " dimensions (expected ", -bound, " to ", bound - 1, ")");
  return dim < 0 ? dim + bound : dim;
}

}  // namespace bytegrad
