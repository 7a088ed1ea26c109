#include "autograd/anomaly.h"

#include "tensor/finite.h"

namespace bytegrad {

namespace {

thread_local std::vector<std::string> module_paths;

std::string described(const Tensor& t) {
  return t.defined() ? concat(shape_str(t.shape()), " ", t.dtype()) : std::string("(none)");
}

std::string in_module(const std::string& path) { return path.empty() ? "outside any module" : "in module " + path; }

}  // namespace

void set_anomaly_enabled(bool enabled) { detail::anomaly_mode = enabled; }

void push_module_path(std::string path) { module_paths.push_back(std::move(path)); }

void pop_module_path() {
  if (!module_paths.empty()) module_paths.pop_back();
}

const std::string& current_module_path() {
  static const std::string none;
  return module_paths.empty() ? none : module_paths.back();
}

void check_forward_anomaly(const char* name, const Tensor& output, const std::vector<Tensor>& inputs) {
  if (!ops::has_nan(output)) return;
  std::string shapes;
  for (const Tensor& input : inputs) shapes += (shapes.empty() ? "" : ", ") + described(input);
  throw Error(concat("anomaly: forward of '", name, "' (", shapes, " -> ", described(output), ") ",
                     in_module(current_module_path()), " produced NaN"));
}

void check_backward_anomaly(const Node& node, size_t input, const Tensor& gradient) {
  if (!gradient.defined() || ops::all_finite(gradient)) return;  // a missing gradient is backward's error to name
  throw Error(concat("anomaly: backward of '", node.name, "' (recorded ", in_module(node.module_path),
                     ") produced NaN or infinity in the gradient of input ", input, " (",
                     shape_str(node.input_shapes.at(input)), " ", node.input_dtypes.at(input), ")"));
}

}  // namespace bytegrad
