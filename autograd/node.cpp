#include "autograd/node.h"

#include "autograd/anomaly.h"
#include "autograd/grad_mode.h"
#include "base/profile.h"
#include "tensor/creation.h"

namespace bytegrad {
namespace {

thread_local std::vector<std::shared_ptr<const std::function<void()>>> backward_pre_hooks;

}  // namespace

void push_backward_pre_hook(std::shared_ptr<const std::function<void()>> hook) {
  backward_pre_hooks.push_back(std::move(hook));
}

void pop_backward_pre_hook() {
  BYTEGRAD_CHECK(!backward_pre_hooks.empty(), "pop_backward_pre_hook: no hook was pushed");
  backward_pre_hooks.pop_back();
}

bool should_record(const std::vector<Tensor>& inputs) {
  if (!grad_enabled()) return false;
  for (const Tensor& t : inputs)
    if (t.defined() && t.requires_grad()) return true;
  return false;
}

bool should_record(std::initializer_list<Tensor> inputs) {
  if (!grad_enabled()) return false;
  for (const Tensor& t : inputs)
    if (t.defined() && t.requires_grad()) return true;
  return false;
}

Tensor record(const char* name, Tensor output, const std::vector<Tensor>& inputs,
              BackwardFn backward) {
  if (profile::enabled()) profile::add(std::string("forward ") + name, profile::lap());
  if (anomaly_enabled()) [[unlikely]]
    check_forward_anomaly(name, output, inputs);
  auto node = std::make_shared<Node>();
  node->name = name;
  if (anomaly_enabled()) [[unlikely]]
    node->module_path = current_module_path();
  for (const Tensor& input : inputs) {
    BYTEGRAD_CHECK(!input.defined() || !output.is_same(input), name,
          ": internal error, an op's output is its own input");
    const bool wants = input.defined() && input.requires_grad();
    node->inputs.push_back(wants ? input.autograd_meta() : nullptr);
    node->input_shapes.push_back(input.defined() ? input.shape() : Shape{});
    node->input_dtypes.push_back(input.defined() ? input.dtype() : DType::Float32);
  }
  node->backward = std::move(backward);
  if (!backward_pre_hooks.empty()) [[unlikely]]
    node->before_backward = backward_pre_hooks.back();
  AutogradMeta& meta = output.ensure_autograd_meta();
  meta.requires_grad = true;
  meta.grad_fn = std::move(node);
  return output;
}

Tensor record_sparse(const char* name, Tensor output, const Tensor& input, AddGradFn add_grad) {
  const TensorOptions dense{input.dtype(), input.device()};
  BackwardFn into_zeros = [shape = input.shape(), dense, add_grad](const Tensor& g, const Needs&) {
    Tensor grad = zeros(shape, dense);
    add_grad(g, grad);
    return std::vector<Tensor>{grad};
  };
  output = record(name, std::move(output), {input}, std::move(into_zeros));
  output.autograd_meta()->grad_fn->add_into_leaf_grad = std::move(add_grad);
  return output;
}

}  // namespace bytegrad
