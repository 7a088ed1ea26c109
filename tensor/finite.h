// Whether a tensor's values are all finite (no NaN, no infinity), on any device and dtype: what
// a checkpoint writer, a generator and anomaly mode check before trusting numbers.
#pragma once

#include <string>
#include <utility>
#include <vector>

#include "tensor/tensor.h"

namespace bytegrad::ops {

// True when no element is NaN or infinite; integer and bool tensors always are. Costs one
// elementwise pass and one reduction on the tensor's device.
bool all_finite(const Tensor& x);

// True when some element is NaN (infinities do not count: a mask's -inf before a softmax is
// meant). Integer and bool tensors never are.
bool has_nan(const Tensor& x);

// The name of the first tensor of `named` (in order) holding a NaN or infinity; "" when all are
// finite.
std::string first_nonfinite(const std::vector<std::pair<std::string, Tensor>>& named);

}  // namespace bytegrad::ops
