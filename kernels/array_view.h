// The kernels' picture of a tensor: a pointer, a dtype, and a shape with strides (in elements).
// Kernels know nothing of Tensor; the tensor layer builds these views and keeps the memory alive
// for the duration of the call.
#pragma once

#include <cstdint>
#include <span>

#include "base/dtype.h"

namespace bytegrad::kernels {

struct ArrayView {
  void* data = nullptr;  // element [0, 0, ...]; any storage offset is already applied
  DType dtype = DType::Float32;
  std::span<const int64_t> shape;
  std::span<const int64_t> strides;  // in elements; 0 marks a broadcast dimension

  int64_t ndim() const { return int64_t(shape.size()); }
  int64_t numel() const {
    int64_t n = 1;
    for (int64_t s : shape) n *= s;
    return n;
  }
  // Row-major dense: the strides a freshly allocated array of this shape has.
  bool is_contiguous() const {
    int64_t expected = 1;
    for (int64_t d = ndim() - 1; d >= 0; --d) {
      if (shape[d] != 1 && strides[d] != expected) return false;
      expected *= shape[d];
    }
    return true;
  }
  template <typename T> T* as() const { return static_cast<T*>(data); }
};

}  // namespace bytegrad::kernels
