// Shapes and strides: sizes per dimension, row-major strides, broadcasting, dimension wrapping.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace bytegrad {

using Shape = std::vector<int64_t>;
using Strides = std::vector<int64_t>;  // in elements, not bytes

// The product of the sizes; throws Error naming the shape when it overflows int64.
int64_t numel_of(const Shape& shape);
Strides contiguous_strides(const Shape& shape);

// "[2, 3]"; "[]" for a scalar.
std::string shape_str(const Shape& shape);

// The NumPy broadcast of two shapes; throws Error naming `op` and both shapes when a pair of
// sizes differs and neither is 1.
Shape broadcast_shapes(const Shape& a, const Shape& b, const char* op);

// Maps dim in [-ndim, ndim) to [0, ndim); throws Error naming `op` otherwise.
int64_t wrap_dim(int64_t dim, int64_t ndim, const char* op);

}  // namespace bytegrad
