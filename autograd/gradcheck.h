// Numerical gradient checking: compares the gradients backward() computes with central
// differences, in float64, as torch.autograd.gradcheck does.
#pragma once

#include <functional>
#include <string>
#include <vector>

#include "tensor/tensor.h"

namespace bytegrad {

struct GradcheckResult {
  bool passed = true;
  double worst_error = 0;  // largest |analytic - numeric| - rtol * |numeric| seen
  std::string message;     // names the input and element of the worst failure
};

// f maps float64 inputs (leaves requiring grad; they may be non-contiguous views) to one
// float64 output. The scalar differentiated is sum(f(inputs) * w) for a fixed random w, so
// every output element's gradient is exercised. Each input element is perturbed by +-eps.
GradcheckResult gradcheck(const std::function<Tensor(const std::vector<Tensor>&)>& f,
                          const std::vector<Tensor>& inputs, double eps = 1e-6,
                          double atol = 1e-7, double rtol = 1e-5);

}  // namespace bytegrad
