// A contiguous shape seen as three blocks around one dimension, [outer, dim, inner]: how every
// backend's indexing methods (gather, scatter_add, index_select, index_add) address their arrays
// (kernels/backend.h).
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>

namespace bytegrad::kernels {

struct Split3 {
  int64_t outer = 1, dim = 1, inner = 1;
};

// The product of the dimensions before `dim`, dimension `dim` itself, the product of those after.
inline Split3 split_at(std::span<const int64_t> shape, int64_t dim) {
  Split3 s;
  for (int64_t d = 0; d < int64_t(shape.size()); ++d) {
    if (d < dim) s.outer *= shape[size_t(d)];
    else if (d == dim) s.dim = shape[size_t(d)];
    else s.inner *= shape[size_t(d)];
  }
  return s;
}

}  // namespace bytegrad::kernels
