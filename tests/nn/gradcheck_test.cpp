// Gradient checks in float64: the gradients backward() computes through each layer match
// central differences, for the layer's input and its parameters. The functional layers (attention,
// cross-entropy) run on every test device; modules and the rotary tables are built on the CPU
// (Module has no move to a device yet), so their checks run there.
#include <doctest/doctest.h>

#include "bytegrad.h"
#include "nn/attention.h"
#include "nn/loss.h"
#include "nn/norm.h"
#include "nn/rotary.h"
#include "tests/devices.h"
#include "tests/test_util.h"

namespace bytegrad::nn {
namespace {

using Inputs = std::vector<Tensor>;
using testing::for_each_device;
using testing::to_device_keeping_layout;

Tensor random_input(const Shape& shape, Generator& generator) {
  return randn(shape, {kFloat64, kCPU}, &generator).set_requires_grad();
}

// Converts `module` to float64 and replaces its parameters by random values, so that a gradient
// check does not sit at the special point of unit weights and zero biases.
void randomise_parameters(Module& module, Generator& generator) {
  module.to(kFloat64);
  NoGradGuard no_grad;
  for (const Tensor& parameter : module.parameters())
    ops::copy_(parameter, randn(parameter.shape(), {kFloat64, kCPU}, &generator));
}

// Checks f over x followed by every parameter of `module`.
void check_module(Module& module, const Tensor& x, const std::function<Tensor(const Tensor&)>& f) {
  Inputs inputs{x};
  for (const Tensor& parameter : module.parameters()) inputs.push_back(parameter);
  const GradcheckResult result = gradcheck([&](const Inputs& in) { return f(in[0]); }, inputs);
  CHECK_MESSAGE(result.passed, result.message);
}

TEST_CASE("RMSNorm gradients match central differences") {
  Generator generator(3);
  RMSNorm norm(5, 1e-3);
  randomise_parameters(norm, generator);
  check_module(norm, random_input({2, 3, 5}, generator),
               [&](const Tensor& x) { return norm.forward(x); });
}

TEST_CASE("LayerNorm gradients match central differences") {
  Generator generator(4);
  LayerNorm norm(5, 1e-3);
  randomise_parameters(norm, generator);
  check_module(norm, random_input({2, 3, 5}, generator),
               [&](const Tensor& x) { return norm.forward(x); });
}

TEST_CASE("rotary embedding gradients match central differences") {
  Generator generator(5);
  const RotaryEmbedding rotary(4, 8, 100.0);
  const GradcheckResult result = gradcheck(
      [&](const Inputs& in) { return rotary.apply(in[0], 2); },
      {random_input({1, 2, 3, 4}, generator)});
  CHECK_MESSAGE(result.passed, result.message);
}

// gradcheck perturbs float64 leaves on the CPU; f sees them on `device` and its result comes
// back, so the gradients and the differences are both computed by the device's kernels.
GradcheckResult gradcheck_on(Device device, const std::function<Tensor(const Inputs&)>& f,
                             const Inputs& inputs) {
  return gradcheck(
      [&](const Inputs& host_inputs) {
        Inputs moved;
        for (const Tensor& x : host_inputs) moved.push_back(to_device_keeping_layout(x, device));
        return to(f(moved), kCPU);
      },
      inputs);
}

TEST_CASE("grouped causal attention over a cached prefix: gradients match central differences") {
  for_each_device([](Device device) {
    Generator generator(6);
    const Dropout no_dropout(0.0, generator);
    // 4 query heads at positions 2..4 share 2 key/value heads over positions 0..4.
    const GradcheckResult result = gradcheck_on(
        device,
        [&](const Inputs& in) { return causal_attention(in[0], in[1], in[2], 2, no_dropout); },
        {random_input({1, 4, 3, 4}, generator), random_input({1, 2, 5, 4}, generator),
         random_input({1, 2, 5, 4}, generator)});
    CHECK_MESSAGE(result.passed, result.message);
  });
}

TEST_CASE("GroupedQueryAttention gradients match central differences") {
  Generator generator(7);
  GroupedQueryAttention attention({/*hidden_size=*/6, /*num_heads=*/2, /*num_kv_heads=*/1,
                                   /*head_dim=*/4, /*bias=*/true, /*dropout=*/0.0},
                                  generator);
  randomise_parameters(attention, generator);
  const RotaryEmbedding rotary(4, 8);
  check_module(attention, random_input({2, 3, 6}, generator),
               [&](const Tensor& x) { return attention.forward(x, rotary, 0, nullptr); });
}

TEST_CASE("cross_entropy gradients match central differences") {
  for_each_device([](Device device) {
    Generator generator(8);
    const Tensor targets = from_vector(std::vector<int64_t>{1, -100, 3, 0}, {2, 2}, {kInt64, device});
    const Tensor weight =
        from_vector(std::vector<double>{1.0, 0.5, 0.0, 2.0}, {2, 2}, {kFloat64, device});
    const GradcheckResult result = gradcheck_on(
        device,
        [&](const Inputs& in) {
          return cross_entropy(in[0], targets) +
                 cross_entropy(in[0], where(ge(targets, 0.0), targets, zeros_like(targets)), weight);
        },
        {random_input({2, 2, 5}, generator)});
    CHECK_MESSAGE(result.passed, result.message);
  });
}

}  // namespace
}  // namespace bytegrad::nn
