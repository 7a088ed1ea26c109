// Anomaly mode inside models: the error names the module path whose forward ran the op, as the
// model's parameter names spell it.
#include <doctest/doctest.h>

#include <cmath>

#include "autograd/anomaly.h"
#include "nn/llama.h"
#include "nn/module_scope.h"
#include "tensor/ops.h"
#include "tests/test_util.h"
#include "tests/tiny_llama.h"

namespace bytegrad::nn {
namespace {

using bytegrad::testing::error_of;

Tensor parameter(const Module& module, const std::string& name) {
  for (const auto& [n, p] : module.named_parameters())
    if (n == name) return p;
  FAIL("no parameter " << name);
  return {};
}

// A module whose forward is finite but whose gradient is not: sqrt at 0.
struct Root : Module {
  struct Leaf : Module {
    Tensor forward(const Tensor& x) const {
      const ModuleScope scope(this);
      return sqrt(x);
    }
  } leaf;
  Root() { register_module("leaf", &leaf); }
  Tensor forward(const Tensor& x) const {
    const ModuleScope scope(this);
    return sum(leaf.forward(x));
  }
};

}  // namespace

TEST_CASE("a NaN planted in a layer's weight is named with the layer's module path in forward") {
  Generator generator(1);
  nn::ModelConfig config = testing::tiny_llama_config(16, 32, 32);
  config.num_hidden_layers = 2;
  Llama model(config, generator);
  ops::copy_(parameter(model, "model.layers.1.self_attn.q_proj.weight"), full({1}, NAN));
  const Tensor ids = from_vector<int64_t>({1, 2, 3, 4}, {1, 4});
  CHECK_NOTHROW(model.forward(ids));  // off: the NaN flows on
  const DetectAnomaly anomaly;
  const std::string error = error_of([&] { model.forward(ids); });
  CHECK(error.rfind("anomaly: forward of '", 0) == 0);
  CHECK(error.find("in module model.layers.1.self_attn.q_proj produced NaN") != std::string::npos);
  CHECK(error.find("([32, 32] float32 -> [32, 32] float32)") != std::string::npos);  // the weight's shape
}

TEST_CASE("a non-finite gradient is named with the module path that recorded its op") {
  Root root;
  const Tensor x = zeros({3}).set_requires_grad();
  const DetectAnomaly anomaly;
  const Tensor loss = root.forward(x);
  CHECK(error_of([&] { backward(loss); }) ==
        "anomaly: backward of 'sqrt' (recorded in module leaf) produced NaN or infinity in the gradient of input 0 "
        "([3] float32)");
  CHECK(current_module_path().empty());  // every scope was left
}

}  // namespace bytegrad::nn
