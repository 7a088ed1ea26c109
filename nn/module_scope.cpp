#include "nn/module_scope.h"

#include <vector>

namespace bytegrad::nn {
namespace {

thread_local std::vector<const Module*> running;  // the modules whose forward is on the stack

}  // namespace

void ModuleScope::enter(const Module* module) {
  std::string path;
  if (!running.empty()) {
    const std::string name = running.back()->path_of(module);
    const std::string& outer = current_module_path();
    path = outer.empty() ? name : name.empty() ? outer : outer + "." + name;
  }
  running.push_back(module);
  push_module_path(std::move(path));
  entered_ = true;
}

void ModuleScope::leave() {
  running.pop_back();
  pop_module_path();
}

}  // namespace bytegrad::nn
