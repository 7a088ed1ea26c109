// The recorded graph. Each op that produces a tensor from inputs requiring gradients attaches a
// Node to its output: the inputs' autograd records (not their data) and a backward function
// that maps the output's gradient to one gradient per input. Tensors the backward function
// needs are captured in it (detached), and released as soon as backward has used them.
#pragma once

#include <functional>
#include <memory>
#include <vector>

#include "tensor/tensor.h"

namespace bytegrad {

// needs[i] is true when input i wants a gradient; a backward function may skip the others
// and return an undefined Tensor in their place.
using Needs = std::vector<bool>;
using BackwardFn = std::function<std::vector<Tensor>(const Tensor& grad_output, const Needs& needs)>;

struct Node {
  const char* name;
  std::vector<std::shared_ptr<AutogradMeta>> inputs;  // null where no gradient is needed
  std::vector<Shape> input_shapes;
  std::vector<DType> input_dtypes;
  BackwardFn backward;  // reset after use unless the graph is retained
};

// True when grad mode is on and some input requires a gradient: only then is building the
// backward closure worth its cost.
bool should_record(std::initializer_list<Tensor> inputs);
bool should_record(const std::vector<Tensor>& inputs);

// Makes `output` the result of op `name` over `inputs` in the graph; returns it.
Tensor record(const char* name, Tensor output, const std::vector<Tensor>& inputs,
              BackwardFn backward);

}  // namespace bytegrad
