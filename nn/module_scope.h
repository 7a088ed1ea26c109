// Marks a module's forward, so that anomaly mode (autograd/anomaly.h) can name the module path
// whose ops produced a NaN: each forward starts with
//
//   const ModuleScope scope(this);
//
// It also runs the module's forward hooks (Module::set_forward_hooks), at its start and its end.
// Off, the scope costs one test of the anomaly flag and one of the hooks. On, it pushes this module's dotted path:
// its name under the module whose forward called it (found among that module's descendants),
// after that module's path; a model's own forward is the root ("" ; its layers are then
// "model.layers.3.self_attn", the names of its parameters).
#pragma once

#include "autograd/anomaly.h"
#include "nn/module.h"

namespace bytegrad::nn {

class ModuleScope {
 public:
  explicit ModuleScope(const Module* module) : hooks_(module->forward_hooks()) {
    if (anomaly_enabled()) [[unlikely]]
      enter(module);
    if (hooks_) [[unlikely]]
      hooks_->before();
  }
  ~ModuleScope() {
    if (hooks_) [[unlikely]]
      hooks_->after();
    if (entered_) leave();
  }
  ModuleScope(const ModuleScope&) = delete;
  ModuleScope& operator=(const ModuleScope&) = delete;

 private:
  void enter(const Module* module);
  void leave();
  bool entered_ = false;
  const Module::ForwardHooks* hooks_;
};

}  // namespace bytegrad::nn
