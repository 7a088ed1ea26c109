// The dtype numerically sensitive steps (norms, softmax) compute in: float32 for 16-bit floats,
// as PyTorch and Hugging Face's models do, otherwise the input's own dtype (so float64 stays
// float64 for gradient checks).
#pragma once

#include "autograd/functions.h"

namespace bytegrad::nn {

inline DType compute_dtype(DType dtype) {
  return dtype == kFloat16 || dtype == kBFloat16 ? kFloat32 : dtype;
}

// x converted to its compute dtype (x itself when that is its dtype).
inline Tensor upcast(const Tensor& x) { return to(x, compute_dtype(x.dtype())); }

}  // namespace bytegrad::nn
