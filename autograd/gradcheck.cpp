#include "autograd/gradcheck.h"

#include <cmath>

#include "autograd/functions.h"
#include "autograd/operators.h"

namespace bytegrad {
namespace {

// Pointer to each element of t in row-major order of its shape, following its strides.
std::vector<double*> element_pointers(const Tensor& t) {
  std::vector<double*> pointers;
  double* base = t.data<double>();
  const int64_t n = t.numel();
  std::vector<int64_t> index(size_t(t.dim()), 0);
  for (int64_t i = 0; i < n; ++i) {
    int64_t offset = 0;
    for (size_t d = 0; d < index.size(); ++d) offset += index[d] * t.strides()[d];
    pointers.push_back(base + offset);
    for (int64_t d = t.dim() - 1; d >= 0; --d) {
      if (++index[size_t(d)] < t.shape()[size_t(d)]) break;
      index[size_t(d)] = 0;
    }
  }
  return pointers;
}

}  // namespace

GradcheckResult gradcheck(const std::function<Tensor(const std::vector<Tensor>&)>& f,
                          const std::vector<Tensor>& inputs, double eps, double atol,
                          double rtol) {
  for (const Tensor& input : inputs)
    BYTEGRAD_CHECK(input.dtype() == DType::Float64 && input.device().is_cpu(),
          "gradcheck: inputs must be float64 CPU tensors, got ", input.dtype(), " on ",
          input.device());

  const Tensor first = f(inputs);
  Generator generator(99);
  const Tensor weights = randn(first.shape(), {DType::Float64, kCPU}, &generator);
  auto objective = [&]() { return sum(mul(f(inputs), weights)); };

  for (const Tensor& input : inputs)
    if (input.requires_grad()) const_cast<Tensor&>(input).zero_grad();
  backward(objective());

  GradcheckResult result;
  NoGradGuard no_grad;
  for (size_t k = 0; k < inputs.size(); ++k) {
    const Tensor& input = inputs[k];
    if (!input.requires_grad()) continue;
    const Tensor analytic = input.grad();
    if (!analytic.defined()) {
      result.passed = false;
      result.message = concat("input ", k, " received no gradient");
      return result;
    }
    const std::vector<double> analytic_values = analytic.to_vector<double>();
    const std::vector<double*> elements = element_pointers(input);
    for (size_t i = 0; i < elements.size(); ++i) {
      const double original = *elements[i];
      *elements[i] = original + eps;
      const double plus = objective().item<double>();
      *elements[i] = original - eps;
      const double minus = objective().item<double>();
      *elements[i] = original;
      const double numeric = (plus - minus) / (2 * eps);
      const double excess = std::fabs(analytic_values[i] - numeric) - rtol * std::fabs(numeric);
      if (excess > result.worst_error) result.worst_error = excess;
      if (excess > atol && result.passed) {
        result.passed = false;
        result.message = concat("input ", k, " element ", i, ": analytic ", analytic_values[i],
                                " vs numeric ", numeric);
      }
    }
  }
  return result;
}

}  // namespace bytegrad
