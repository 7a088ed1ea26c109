// The backward pass: a topological walk from the root (Kahn's algorithm over the inputs'
// autograd records), summing every gradient that reaches a tensor before its own node runs.
#include "autograd/backward.h"

#include <unordered_map>
#include <vector>

#include "autograd/anomaly.h"
#include "autograd/functions.h"
#include "autograd/grad_mode.h"
#include "autograd/node.h"
#include "base/profile.h"

namespace bytegrad {
namespace {

// How many recorded consumers feed a gradient into each tensor reachable from the root: a
// non-leaf runs its node when its count reaches zero, a leaf calls its on_grad_ready hook.
std::unordered_map<AutogradMeta*, int> count_consumers(AutogradMeta* root) {
  std::unordered_map<AutogradMeta*, int> consumers;
  std::vector<AutogradMeta*> stack{root};
  consumers[root] = 0;
  while (!stack.empty()) {
    AutogradMeta* meta = stack.back();
    stack.pop_back();
    for (const auto& input : meta->grad_fn->inputs) {
      if (!input) continue;
      auto [it, first_visit] = consumers.try_emplace(input.get(), 0);
      ++it->second;
      if (first_visit && input->grad_fn) stack.push_back(input.get());
    }
  }
  return consumers;
}

void accumulate(Tensor& slot, Tensor grad) {
  if (slot.defined()) {
    slot = add(slot, grad);
    return;
  }
  // A leaf's gradient owns dense memory: an incoming tensor that is a broadcast view, or is
  // shared with another branch of the graph or a saved tensor, is copied. One that nothing else
  // holds (a weight's gradient fresh from its product) is taken as it is: copying every
  // parameter's gradient cost a pass over all of them and a second copy at the peak.
  slot = grad.is_sole_dense_owner() ? std::move(grad) : ops::clone(grad);
}

// True when `node` adds its gradient straight into its input's .grad: a sparse op over a leaf.
bool adds_into_leaf_grad(const Node& node) {
  return node.add_into_leaf_grad && node.inputs.at(0) && !node.inputs[0]->grad_fn;
}

// The sparse path: the leaf's .grad is made once (zeros, or a contiguous copy of a strided one
// set from outside) and then updated in place, sum of every gradient that reaches it.
void add_into_leaf_grad(Node& node, const Tensor& grad_output) {
  Tensor& slot = node.inputs[0]->grad;
  if (!slot.defined()) slot = zeros(node.input_shapes[0], {node.input_dtypes[0], grad_output.device()});
  else if (!slot.is_contiguous()) slot = ops::contiguous(slot);
  node.add_into_leaf_grad(grad_output, slot);
}

// One more contribution has reached `leaf`'s .grad; after the last one its hook runs.
void count_leaf_contribution(AutogradMeta* leaf, std::unordered_map<AutogradMeta*, int>& waiting) {
  if (--waiting[leaf] == 0 && leaf->on_grad_ready) leaf->on_grad_ready(leaf->grad);
}

}  // namespace

void backward(const Tensor& root, const Tensor& grad_output, bool retain_graph) {
  BYTEGRAD_CHECK(root.requires_grad(), "backward: the tensor of shape ", shape_str(root.shape()),
        " does not require grad (no input of the ops that made it requires grad)");
  Tensor seed = grad_output;
  if (!seed.defined()) {
    BYTEGRAD_CHECK(root.numel() == 1, "backward: a gradient can only be implied for a one-element "
          "output; this one has shape ", shape_str(root.shape()), ", pass grad_output");
    seed = ones_like(root);
  }
  BYTEGRAD_CHECK(seed.shape() == root.shape(), "backward: grad_output shape ", shape_str(seed.shape()),
        " does not match output shape ", shape_str(root.shape()));

  NoGradGuard no_grad;
  AutogradMeta* root_meta = root.autograd_meta().get();
  if (!root_meta->grad_fn) {
    accumulate(root_meta->grad, seed);
    if (root_meta->on_grad_ready) root_meta->on_grad_ready(root_meta->grad);
    return;
  }

  std::unordered_map<AutogradMeta*, int> waiting = count_consumers(root_meta);
  std::unordered_map<AutogradMeta*, Tensor> pending{{root_meta, seed}};
  std::vector<AutogradMeta*> ready{root_meta};
  while (!ready.empty()) {
    AutogradMeta* meta = ready.back();
    ready.pop_back();
    const Tensor grad = std::move(pending[meta]);
    pending.erase(meta);
    if (meta->retains_grad) accumulate(meta->grad, grad);

    Node& node = *meta->grad_fn;
    BYTEGRAD_CHECK(bool(node.backward), "backward: the graph through '", node.name,
          "' was already freed by an earlier backward; pass retain_graph=true to the first one");
    Needs needs(node.inputs.size());
    for (size_t i = 0; i < needs.size(); ++i) needs[i] = node.inputs[i] != nullptr;
    const bool profiling = profile::enabled();
    const double started = profiling ? profile::now() : 0.0;
    if (node.before_backward) [[unlikely]]
      (*node.before_backward)();
    const bool sparse = adds_into_leaf_grad(node);
    std::vector<Tensor> input_grads;
    if (sparse) add_into_leaf_grad(node, grad);
    else input_grads = node.backward(grad, needs);
    if (anomaly_enabled()) [[unlikely]] {
      for (size_t i = 0; i < node.inputs.size(); ++i)
        if (node.inputs[i]) check_backward_anomaly(node, i, sparse ? node.inputs[i]->grad : input_grads.at(i));
    }
    if (!retain_graph) {  // frees the tensors they saved
      node.backward = nullptr;
      node.add_into_leaf_grad = nullptr;
    }
    const double computed = profiling ? profile::now() : 0.0;
    if (profiling) profile::add(std::string("backward ") + node.name, computed - started);
    if (sparse) {
      count_leaf_contribution(node.inputs[0].get(), waiting);
      continue;
    }

    for (size_t i = 0; i < node.inputs.size(); ++i) {
      AutogradMeta* input = node.inputs[i].get();
      if (!input) continue;
      Tensor g = std::move(input_grads.at(i));  // so that a gradient nothing else holds is owned by g alone
      BYTEGRAD_CHECK(g.defined() && g.shape() == node.input_shapes[i], "backward of '", node.name,
            "': gradient for input ", i, " has shape ",
            g.defined() ? shape_str(g.shape()) : std::string("(none)"), ", expected ",
            shape_str(node.input_shapes[i]));
      if (g.dtype() != node.input_dtypes[i]) g = ops::to(g, node.input_dtypes[i]);
      if (!input->grad_fn) {
        accumulate(input->grad, std::move(g));
        count_leaf_contribution(input, waiting);
        continue;
      }
      Tensor& slot = pending[input];
      slot = slot.defined() ? add(slot, g) : g;
      if (--waiting[input] == 0) ready.push_back(input);
    }
    if (profiling) profile::add("backward (summing gradients)", profile::now() - computed);
  }
}

}  // namespace bytegrad
