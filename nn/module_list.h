// ModuleList: an indexed sequence of child modules named "0", "1", ..., as torch.nn.ModuleList,
// so that a stack of layers gets the parameter names "layers.0.…", "layers.1.…".
#pragma once

#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "nn/module.h"

namespace bytegrad::nn {

template <typename M>
class ModuleList : public Module {
 public:
  // Takes ownership of `module` and registers it under the next index.
  M& push_back(std::unique_ptr<M> module) {
    register_module(std::to_string(modules_.size()), module.get());
    modules_.push_back(std::move(module));
    return *modules_.back();
  }

  int64_t size() const { return int64_t(modules_.size()); }
  const M& operator[](int64_t index) const { return *modules_.at(size_t(index)); }
  M& operator[](int64_t index) { return *modules_.at(size_t(index)); }

 private:
  std::vector<std::unique_ptr<M>> modules_;
};

}  // namespace bytegrad::nn
