// ZeRO-3 is the same training with a fraction of the memory: N ranks x batch b, each holding a
// 1/N shard of every layer's parameters, gradients and moments, take the steps of one process x
// batch N b; its consolidated state is the unsharded optimizer's; generation from the sharded
// model, gathered once per call or layer by layer, gives the unsharded model's greedy tokens.
#include <doctest/doctest.h>

#include <chrono>

#include "infer/generate.h"
#include "tests/dist_mpi/mpi_world.h"
#include "tests/dist_mpi/tiny_run.h"

namespace bytegrad::train {
namespace {

using testing::mpi_world;
using testing::relative_difference;
using testing::Sharding;
using Run = testing::TinyRun;

constexpr int64_t kRankBatch = 2;

infer::GenerationOptions greedy(int64_t tokens) {
  infer::GenerationOptions options;
  options.max_gen_len = tokens;
  options.temperature = 0;
  return options;
}

}  // namespace

TEST_CASE("ZeRO-3: N ranks x batch b take the steps of one process x batch N b") {
  dist::Communicator& world = mpi_world();
  Run reference(kRankBatch * world.world_size());
  const std::vector<double> expected = reference.losses();
  Run sharded(kRankBatch, Sharding::Zero3, &world);
  CHECK(sharded.zero3->unit_count() == 2);  // the one layer, and the rest
  const std::vector<double> losses = sharded.losses();

  REQUIRE(losses.size() == expected.size());
  for (size_t i = 0; i < losses.size(); ++i) CHECK(losses[i] == doctest::Approx(expected[i]).epsilon(1e-5));
  CHECK(losses.back() < 0.8 * losses.front());
  CHECK(sharded.trainer.evaluate() == doctest::Approx(reference.trainer.evaluate()).epsilon(1e-5));
  {
    const Zero3::Gathered whole(*sharded.zero3);
    for (const auto& [name, parameter] : reference.model.named_parameters()) {
      INFO(name);
      CHECK(relative_difference(sharded.model.state_dict().at(name), parameter) < 1e-5);
    }
  }
  const NamedTensors state = sharded.optimizer().state();
  const NamedTensors unsharded = reference.optimizer().state();
  const std::map<std::string, Tensor> expected_state(unsharded.begin(), unsharded.end());
  REQUIRE(state.size() == unsharded.size());
  for (const auto& [name, tensor] : state) {
    INFO(name);
    CHECK(relative_difference(tensor, expected_state.at(name)) < 1e-4);
  }
}

TEST_CASE("ZeRO-3: each rank holds about 1/N of parameters, gradients and moments") {
  dist::Communicator& world = mpi_world();
  Run sharded(kRankBatch, Sharding::Zero3, &world);
  const int64_t whole = sharded.model.parameter_count() * int64_t(sizeof(float));
  const int64_t padding = sharded.zero3->unit_count() * int64_t(sizeof(float));  // at most one element per unit
  CHECK(sharded.zero3->parameter_shard_bytes() <= whole / world.world_size() + padding);
  CHECK(sharded.zero3->gradient_shard_bytes() <= whole / world.world_size() + padding);
  CHECK(sharded.zero3->optimizer_state_bytes() <= 2 * (whole / world.world_size() + padding));
}

TEST_CASE("ZeRO-3: outside a gather a parameter's memory is released, and reaching it is an error") {
  dist::Communicator& world = mpi_world();
  Run sharded(kRankBatch, Sharding::Zero3, &world);
  const Tensor weight = sharded.model.state_dict().at("model.layers.0.mlp.up_proj.weight");
  CHECK_FALSE(weight.storage()->resident());
  CHECK_THROWS_WITH_AS(weight.to_vector<float>(), doctest::Contains("its memory is released"), Error);
  const Zero3::Gathered whole(*sharded.zero3);
  CHECK(weight.storage()->resident());
}

TEST_CASE("ZeRO-3: greedy tokens, gathered once per call or layer by layer, are the unsharded model's") {
  dist::Communicator& world = mpi_world();
  Run reference(kRankBatch);
  Run sharded(kRankBatch, Sharding::Zero3, &world);
  const std::vector<std::vector<int64_t>> prompt{{15, 1, 3}};
  const int64_t tokens = 24;
  const std::vector<int64_t> expected = infer::generate(reference.model, prompt, greedy(tokens)).tokens.front();

  using Clock = std::chrono::steady_clock;
  const auto start = Clock::now();
  const std::vector<int64_t> per_layer = infer::generate(sharded.model, prompt, greedy(tokens)).tokens.front();
  const auto middle = Clock::now();
  std::vector<int64_t> gathered;
  {
    const Zero3::Gathered whole(*sharded.zero3);
    gathered = infer::generate(sharded.model, prompt, greedy(tokens)).tokens.front();
  }
  const auto end = Clock::now();
  CHECK(per_layer == expected);
  CHECK(gathered == expected);
  const double per_layer_seconds = std::chrono::duration<double>(middle - start).count();
  const double gathered_seconds = std::chrono::duration<double>(end - middle).count();
  MESSAGE("rank " << world.rank() << ": " << double(tokens) / per_layer_seconds << " tokens/s gathering each layer at "
                  << "every token, " << double(tokens) / gathered_seconds << " tokens/s gathering once per call");
}

}  // namespace bytegrad::train
