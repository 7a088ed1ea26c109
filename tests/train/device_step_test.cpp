// Training on a device other than the CPU: the same Llama, batch and AdamW steps on each device
// give the CPU's losses and parameters (float32, within the tolerance of a different order of
// summation). Batches are built on the CPU and moved, as the trainer moves them.
#include <doctest/doctest.h>

#include "bytegrad.h"
#include "nn/llama.h"
#include "tests/devices.h"
#include "tests/tiny_llama.h"
#include "train/objective.h"
#include "train/optimizer_settings.h"
#include "train/training_step.h"

namespace bytegrad::testing {
namespace {

// Three AdamW steps of a fresh tiny Llama (seed 11) on `device` over fixed batches; returns the
// losses and the final parameters, on the CPU.
std::pair<std::vector<double>, std::vector<Tensor>> train_three_steps(Device device) {
  Generator generator(11);
  nn::ModelConfig config = tiny_llama_config(50, 16, 32);
  config.num_key_value_heads = 1;  // grouped-query attention: two query heads share one
  nn::Llama model(config, generator);
  model.to(device);
  train::OptimizerSettings settings;
  settings.adamw.learning_rate = 1e-2;
  settings.adamw.weight_decay = 0.1;
  const std::unique_ptr<train::Optimizer> optimizer = train::make_optimizer(settings, model);
  const train::NextTokenCrossEntropy objective;
  Generator data(5);
  std::vector<double> losses;
  for (int step = 0; step < 3; ++step) {
    const Tensor ids = randint(0, 50, {3, 13}, {DType::Int64, kCPU}, &data);
    train::Batch batch;
    batch.inputs = narrow(ids, 1, 0, 12);
    batch.targets = narrow(ids, 1, 1, 12);
    batch.tokens = batch.counted_tokens = 36;
    losses.push_back(train::run_training_step(model, *optimizer, objective, [&] { return batch; },
                                              {.grad_clip = 0.5, .learning_rate = 1e-2, .step = step + 1})
                         .loss);
  }
  std::vector<Tensor> parameters;
  for (const Tensor& p : model.parameters()) {
    CHECK(p.device() == device);
    parameters.push_back(p.to(kCPU));
  }
  return {losses, parameters};
}

TEST_CASE("a Llama's training steps on each device equal the CPU's") {
  // Named members, not a structured binding: clang before 16 cannot capture bindings in lambdas.
  const auto cpu = train_three_steps(kCPU);
  const std::vector<double>& cpu_losses = cpu.first;
  const std::vector<Tensor>& cpu_parameters = cpu.second;
  for_each_device([&](Device device) {
    const auto [losses, parameters] = train_three_steps(device);
    REQUIRE(losses.size() == cpu_losses.size());
    for (size_t i = 0; i < losses.size(); ++i) CHECK(losses[i] == doctest::Approx(cpu_losses[i]).epsilon(1e-5));
    REQUIRE(parameters.size() == cpu_parameters.size());
    for (size_t i = 0; i < parameters.size(); ++i) {
      const std::vector<float> got = parameters[i].to_vector<float>(), want = cpu_parameters[i].to_vector<float>();
      REQUIRE(got.size() == want.size());
      float worst = 0;
      for (size_t j = 0; j < got.size(); ++j) worst = std::max(worst, std::abs(got[j] - want[j]));
      CHECK_MESSAGE(worst < 2e-5f, "parameter ", i, " differs by ", worst);
    }
  });
}

}  // namespace
}  // namespace bytegrad::testing
