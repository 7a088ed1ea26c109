// Module: the base of every layer and model. A module owns named parameters and named children,
// so that a whole model's parameters have dotted names ("model.layers.0.self_attn.q_proj.weight")
// that match the checkpoints of the model's reference implementation.
//
// Parameters live in tensor members of the concrete module, registered by address: modules are
// neither copyable nor movable, so the addresses stay valid. Loading and dtype changes write
// through those addresses, so a module's forward always sees the current tensors.
#pragma once

#include <functional>
#include <map>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "tensor/tensor.h"

namespace bytegrad::nn {

using StateDict = std::map<std::string, Tensor>;

class Module {
 public:
  Module() = default;
  virtual ~Module() = default;
  Module(const Module&) = delete;
  Module& operator=(const Module&) = delete;

  // Every parameter of this module and its children, depth first in registration order, named
  // by the path of child names joined with '.'.
  std::vector<std::pair<std::string, Tensor>> named_parameters() const;
  std::vector<Tensor> parameters() const;
  // The number of scalars in all parameters (a tied table counts once: it is one parameter).
  int64_t parameter_count() const;
  // Where the parameters live: the first one's device (to(Device) keeps them on one), or the
  // CPU for a module without parameters. Inputs go there before forward.
  Device device() const;

  // Training mode (the default) enables dropout; eval mode makes it the identity. Applies to
  // this module and all its children.
  void train(bool training = true);
  void eval() { train(false); }
  bool is_training() const { return training_; }

  // The dotted path of `descendant` below this module ("layers.3.self_attn"); "" when it is
  // this module itself or not among its descendants.
  std::string path_of(const Module* descendant) const;

  // This module (path "") and every descendant, depth first, by dotted path ("model.layers.0").
  std::vector<std::pair<std::string, Module*>> named_modules();

  // Calls run at the start and at the end of this module's forward (every forward opens a
  // ModuleScope, nn/module_scope.h), the end's also when the forward throws. ZeRO-3 gathers a
  // layer's parameters in `before` and releases them in `after` (train/zero3.h). Null removes them.
  struct ForwardHooks {
    std::function<void()> before, after;
  };
  void set_forward_hooks(std::shared_ptr<const ForwardHooks> hooks) { forward_hooks_ = std::move(hooks); }
  const ForwardHooks* forward_hooks() const { return forward_hooks_.get(); }

  // Clears the accumulated gradient of every parameter.
  void zero_grad();

  // name -> parameter tensor (the live tensors, not copies).
  StateDict state_dict() const;

  // Copies each tensor of `state` into the parameter of the same name (converting its dtype).
  // Throws Error when a tensor's shape differs from the parameter's, and, when `strict`, when a
  // parameter has no tensor in `state` or `state` names no parameter; the message lists every
  // missing, unexpected and mis-shaped key (with both shapes). Nothing is written if it throws.
  void load_state_dict(const StateDict& state, bool strict = true);

  // Converts every parameter to `dtype` (a floating dtype), keeping requires_grad. Gradients
  // are cleared.
  void to(DType dtype);

  // Moves every parameter to `device`, keeping dtype and requires_grad; gradients are cleared.
  // Like to(DType), it replaces the tensor in each parameter's slot, so the module (and anything
  // holding the slot's address) sees the moved parameter; Tensor handles copied out before the
  // move (an optimizer's parameter list, state_dict()) still refer to the old storage, so build
  // optimizers after moving. Throws Error if the device does not exist.
  void to(Device device);

 protected:
  // Registers `*slot` as parameter `name` and marks it as requiring grad. `slot` must be a
  // member of this module.
  void register_parameter(const std::string& name, Tensor* slot);
  // Registers `child` (a member of this module, or owned by it) under `name`.
  void register_module(const std::string& name, Module* child);

 private:
  void collect(const std::string& prefix, std::vector<std::pair<std::string, Tensor*>>& out) const;
  std::vector<std::pair<std::string, Tensor*>> parameter_slots() const;
  // Sets each parameter slot to convert(parameter) (given detached), keeping requires_grad, and
  // clears gradients; a parameter that `convert` returns unchanged keeps its slot as it is.
  void replace_parameters(const std::function<Tensor(const Tensor&)>& convert);

  std::vector<std::pair<std::string, Tensor*>> parameters_;
  std::vector<std::pair<std::string, Module*>> children_;
  bool training_ = true;
  std::shared_ptr<const ForwardHooks> forward_hooks_;
};

}  // namespace bytegrad::nn
