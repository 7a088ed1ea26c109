#include "autograd/node.h"

#include "autograd/grad_mode.h"
#include "base/profile.h"

namespace bytegrad {

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
  auto node = std::make_shared<Node>();
  node->name = name;
  for (const Tensor& input : inputs) {
    BYTEGRAD_CHECK(!input.defined() || !output.is_same(input), name,
          ": internal error, an op's output is its own input");
    const bool wants = input.defined() && input.requires_grad();
    node->inputs.push_back(wants ? input.autograd_meta() : nullptr);
    node->input_shapes.push_back(input.defined() ? input.shape() : Shape{});
    node->input_dtypes.push_back(input.defined() ? input.dtype() : DType::Float32);
  }
  node->backward = std::move(backward);
  AutogradMeta& meta = output.ensure_autograd_meta();
  meta.requires_grad = true;
  meta.grad_fn = std::move(node);
  return output;
}

}  // namespace bytegrad
