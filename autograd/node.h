// The recorded graph. Each op that produces a tensor from inputs requiring gradients attaches a
// Node to its output: the inputs' autograd records (not their data) and a backward function
// that maps the output's gradient to one gradient per input. Tensors the backward function
// needs are captured in it (detached), and released as soon as backward has used them.
#pragma once

#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "tensor/tensor.h"

namespace bytegrad {

// needs[i] is true when input i wants a gradient; a backward function may skip the others
// and return an undefined Tensor in their place.
using Needs = std::vector<bool>;
using BackwardFn = std::function<std::vector<Tensor>(const Tensor& grad_output, const Needs& needs)>;

// Adds the gradient of an op's one input into `grad` where it lies: `grad` is a dense,
// contiguous tensor of the input's shape, updated in place. For gradients that touch a few
// rows of a large tensor (an embedding lookup), so that no dense temporary is made.
using AddGradFn = std::function<void(const Tensor& grad_output, const Tensor& grad)>;

struct Node {
  const char* name;
  std::vector<std::shared_ptr<AutogradMeta>> inputs;  // null where no gradient is needed
  std::vector<Shape> input_shapes;
  std::vector<DType> input_dtypes;
  BackwardFn backward;  // reset after use unless the graph is retained
  // Set by record_sparse only. When the one input is a leaf, backward() calls this instead of
  // `backward` with the leaf's own .grad (zeros the first time), which is what a dense gradient
  // would have been summed into; `backward` serves inputs that are not leaves.
  AddGradFn add_into_leaf_grad;
  // The module whose forward recorded this node, kept in anomaly mode only (autograd/anomaly.h).
  std::string module_path;
  // Called by backward() just before this node runs: the innermost BackwardPreHookScope's
  // call when the node was recorded, or null.
  std::shared_ptr<const std::function<void()>> before_backward;
};

// While one lives, every node recorded on this thread gets `hook` as its before_backward (the
// innermost scope's, when scopes nest): ZeRO-3 records a layer's nodes under a hook that gathers
// the layer's parameters again before backward reaches them (train/zero3.h). Scopes end in the
// reverse order of their start; they may be opened and closed through push and pop.
void push_backward_pre_hook(std::shared_ptr<const std::function<void()>> hook);
void pop_backward_pre_hook();

// True when grad mode is on and some input requires a gradient: only then is building the
// backward closure worth its cost.
bool should_record(std::initializer_list<Tensor> inputs);
bool should_record(const std::vector<Tensor>& inputs);

// Makes `output` the result of op `name` over `inputs` in the graph; returns it.
Tensor record(const char* name, Tensor output, const std::vector<Tensor>& inputs,
              BackwardFn backward);

// Makes `output` the result of op `name` over the one `input`, whose gradient `add_grad` adds
// into a given tensor in place (see AddGradFn). A leaf input's .grad receives it directly; any
// other input gets it in fresh zeros, like a dense gradient.
Tensor record_sparse(const char* name, Tensor output, const Tensor& input, AddGradFn add_grad);

}  // namespace bytegrad
