// Gradient checks in float64: the gradients backward() computes through each layer match
// central differences, for the layer's input and its parameters, on every test device. Modules are
// built and randomised on the CPU and moved with Module::to(Device); the rotary tables are made on
// each device they are used on.
#include <doctest/doctest.h>

#include <algorithm>

#include "bytegrad.h"
#include "nn/attention.h"
#include "nn/linear.h"
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

// The parameter members of a Linear, by address (its bias only when it has one).
std::vector<Tensor*> parameter_members(Linear& linear) {
  std::vector<Tensor*> members{&linear.weight};
  if (linear.bias.defined()) members.push_back(&linear.bias);
  return members;
}

// Checks f over x followed by every parameter of `module`, which has been moved to `device`;
// `members` are the module's parameter members by address, in any order, and must be all of its
// parameters. gradcheck perturbs float64 leaves on the CPU: x and CPU copies of the parameters.
// While f runs, each member holds its leaf copied to `device` (a differentiable copy), so the
// module's forward and backward run on the device and the parameters' gradients flow back to the
// leaves. The members get their moved parameters back afterwards.
void check_module_on(Device device, Module& module, const std::vector<Tensor*>& members, const Tensor& x,
                     const std::function<Tensor(const Tensor&)>& f) {
  const std::vector<Tensor> parameters = module.parameters();
  REQUIRE_MESSAGE(members.size() == parameters.size(),
                  members.size() << " parameter members given for a module with " << parameters.size()
                                 << " parameters");
  for (const Tensor& parameter : parameters) {
    REQUIRE(parameter.device() == device);
    REQUIRE_MESSAGE(std::any_of(members.begin(), members.end(),
                                [&](const Tensor* member) { return member->is_same(parameter); }),
                    "a parameter of shape " << parameter.shape() << " is not among the members given");
  }

  Inputs inputs{x};
  std::vector<Tensor> moved;
  for (const Tensor* member : members) {
    moved.push_back(*member);
    inputs.push_back(member->to(kCPU).detach().set_requires_grad());
  }
  const GradcheckResult result = gradcheck(
      [&](const Inputs& in) {
        for (size_t k = 0; k < members.size(); ++k) *members[k] = to(in[k + 1], device);
        return to(f(to_device_keeping_layout(in[0], device)), kCPU);
      },
      inputs);
  for (size_t k = 0; k < members.size(); ++k) *members[k] = moved[k];
  CHECK_MESSAGE(result.passed, result.message);
}

TEST_CASE("RMSNorm gradients match central differences") {
  for_each_device([](Device device) {
    Generator generator(3);
    RMSNorm norm(5, 1e-3);
    randomise_parameters(norm, generator);
    norm.to(device);
    check_module_on(device, norm, {&norm.weight}, random_input({2, 3, 5}, generator),
                    [&](const Tensor& x) { return norm.forward(x); });
  });
}

TEST_CASE("LayerNorm gradients match central differences") {
  for_each_device([](Device device) {
    Generator generator(4);
    LayerNorm norm(5, 1e-3);
    randomise_parameters(norm, generator);
    norm.to(device);
    check_module_on(device, norm, {&norm.weight, &norm.bias}, random_input({2, 3, 5}, generator),
                    [&](const Tensor& x) { return norm.forward(x); });
  });
}

TEST_CASE("rotary embedding gradients match central differences") {
  for_each_device([](Device device) {
    Generator generator(5);
    const RotaryEmbedding rotary(4, 8, 100.0);
    const GradcheckResult result = gradcheck_on(
        device, [&](const Inputs& in) { return rotary.apply(in[0], 2); },
        {random_input({1, 2, 3, 4}, generator)});
    CHECK_MESSAGE(result.passed, result.message);
  });
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
  for_each_device([](Device device) {
    Generator generator(7);
    GroupedQueryAttention attention({/*hidden_size=*/6, /*num_heads=*/2, /*num_kv_heads=*/1,
                                     /*head_dim=*/4, /*bias=*/true, /*dropout=*/0.0},
                                    generator);
    randomise_parameters(attention, generator);
    attention.to(device);
    std::vector<Tensor*> members;
    for (Linear* projection : {&attention.q_proj, &attention.k_proj, &attention.v_proj, &attention.o_proj})
      for (Tensor* member : parameter_members(*projection)) members.push_back(member);
    const RotaryEmbedding rotary(4, 8);
    check_module_on(device, attention, members, random_input({2, 3, 6}, generator),
                    [&](const Tensor& x) { return attention.forward(x, rotary, 0, nullptr); });
  });
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
