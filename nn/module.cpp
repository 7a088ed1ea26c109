#include "nn/module.h"

#include <set>
#include <sstream>

#include "autograd/functions.h"
#include "autograd/grad_mode.h"

namespace bytegrad::nn {

void Module::register_parameter(const std::string& name, Tensor* slot) {
  BYTEGRAD_CHECK(slot->defined(), "register_parameter: parameter '", name, "' is undefined");
  BYTEGRAD_CHECK(is_floating(slot->dtype()), "register_parameter: parameter '", name,
                 "' must be floating point, not ", slot->dtype());
  slot->set_requires_grad();
  parameters_.emplace_back(name, slot);
}

void Module::register_module(const std::string& name, Module* child) {
  children_.emplace_back(name, child);
}

void Module::collect(const std::string& prefix,
                     std::vector<std::pair<std::string, Tensor*>>& out) const {
  for (const auto& [name, slot] : parameters_) out.emplace_back(prefix + name, slot);
  for (const auto& [name, child] : children_) child->collect(prefix + name + ".", out);
}

std::vector<std::pair<std::string, Tensor*>> Module::parameter_slots() const {
  std::vector<std::pair<std::string, Tensor*>> slots;
  collect("", slots);
  return slots;
}

std::vector<std::pair<std::string, Tensor>> Module::named_parameters() const {
  std::vector<std::pair<std::string, Tensor>> named;
  for (const auto& [name, slot] : parameter_slots()) named.emplace_back(name, *slot);
  return named;
}

std::vector<Tensor> Module::parameters() const {
  std::vector<Tensor> tensors;
  for (const auto& [name, slot] : parameter_slots()) tensors.push_back(*slot);
  return tensors;
}

int64_t Module::parameter_count() const {
  int64_t count = 0;
  for (const Tensor& parameter : parameters()) count += parameter.numel();
  return count;
}

Device Module::device() const {
  const std::vector<Tensor> all = parameters();
  return all.empty() ? kCPU : all.front().device();
}

void Module::train(bool training) {
  training_ = training;
  for (const auto& [name, child] : children_) child->train(training);
}

void Module::zero_grad() {
  for (const auto& [name, slot] : parameter_slots()) slot->zero_grad();
}

StateDict Module::state_dict() const {
  StateDict state;
  for (const auto& [name, slot] : parameter_slots()) state.emplace(name, *slot);
  return state;
}

void Module::load_state_dict(const StateDict& state, bool strict) {
  const auto slots = parameter_slots();
  std::vector<std::string> missing, mis_shaped;
  std::set<std::string> known;
  for (const auto& [name, slot] : slots) {
    known.insert(name);
    const auto found = state.find(name);
    if (found == state.end()) {
      missing.push_back(name);
    } else if (found->second.shape() != slot->shape()) {
      mis_shaped.push_back(concat(name, " (checkpoint ", shape_str(found->second.shape()),
                                  ", model ", shape_str(slot->shape()), ")"));
    }
  }
  std::vector<std::string> unexpected;
  for (const auto& [name, tensor] : state)
    if (!known.count(name)) unexpected.push_back(concat(name, " ", shape_str(tensor.shape())));

  std::ostringstream problems;
  const auto report = [&problems](const char* what, const std::vector<std::string>& names) {
    if (names.empty()) return;
    problems << "\n  " << what << " (" << names.size() << "):";
    for (const std::string& name : names) problems << "\n    " << name;
  };
  if (strict) report("missing keys", missing);
  if (strict) report("unexpected keys", unexpected);
  report("mis-shaped keys", mis_shaped);
  BYTEGRAD_CHECK(problems.str().empty(), "load_state_dict: the state does not fit the model:",
                 problems.str());

  NoGradGuard no_grad;
  for (const auto& [name, slot] : slots) {
    const auto found = state.find(name);
    if (found != state.end()) ops::copy_(*slot, found->second);
  }
}

void Module::replace_parameters(const std::function<Tensor(const Tensor&)>& convert) {
  NoGradGuard no_grad;
  for (const auto& [name, slot] : parameter_slots()) {
    const bool requires_grad = slot->requires_grad();
    Tensor converted = convert(slot->detach());
    if (converted.storage() == slot->storage()) continue;  // already as asked
    *slot = std::move(converted);
    slot->set_requires_grad(requires_grad);
  }
  zero_grad();
}

void Module::to(DType dtype) {
  BYTEGRAD_CHECK(is_floating(dtype), "Module::to: parameters must be floating point, not ", dtype);
  replace_parameters([dtype](const Tensor& p) { return ops::to(p, dtype); });
}

void Module::to(Device device) {
  replace_parameters([device](const Tensor& p) { return p.to(device); });
}

std::vector<std::pair<std::string, Module*>> Module::named_modules() {
  std::vector<std::pair<std::string, Module*>> out{{"", this}};
  for (const auto& [name, child] : children_)
    for (const auto& [path, module] : child->named_modules()) out.emplace_back(path.empty() ? name : name + "." + path, module);
  return out;
}

std::string Module::path_of(const Module* descendant) const {
  for (const auto& [name, child] : children_) {
    if (child == descendant) return name;
    const std::string below = child->path_of(descendant);
    if (!below.empty()) return name + "." + below;
  }
  return "";
}

}  // namespace bytegrad::nn
