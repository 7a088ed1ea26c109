// Reverse-mode differentiation over the recorded graph.
#pragma once

#include "tensor/tensor.h"

namespace bytegrad {

// Accumulates d(root)/d(leaf) into the .grad() of every leaf that requires a gradient.
// `grad_output` seeds the root's gradient (default: 1 for a one-element root; other roots need
// one). The graph's saved tensors are freed as it is walked unless retain_graph is set, after
// which a second backward through it throws.
void backward(const Tensor& root, const Tensor& grad_output = Tensor(), bool retain_graph = false);

}  // namespace bytegrad
