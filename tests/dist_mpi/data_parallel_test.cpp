// Data-parallel training is the same training: N ranks with batch b each take the steps of one
// process with batch N * b, to float32 rounding. Every rank trains the one-process reference
// itself (no communication), then its share of the distributed run, and compares the two.
#include <doctest/doctest.h>

#include <cmath>

#include "tests/dist_mpi/mpi_world.h"
#include "tests/dist_mpi/tiny_run.h"

namespace bytegrad::train {
namespace {

using testing::mpi_world;
using testing::relative_difference;
using testing::Sharding;
using Run = testing::TinyRun;

constexpr int64_t kRankBatch = 2;

// Checks that `distributed` (kRankBatch per rank) took the steps of `reference` (one process).
void check_same_run(Run& distributed, Run& reference, const std::vector<double>& losses,
                    const std::vector<double>& expected) {
  REQUIRE(losses.size() == expected.size());
  for (size_t i = 0; i < losses.size(); ++i) CHECK(losses[i] == doctest::Approx(expected[i]).epsilon(1e-5));
  CHECK(losses.back() < 0.8 * losses.front());
  for (const auto& [name, parameter] : reference.model.named_parameters()) {
    INFO(name);
    CHECK(relative_difference(distributed.model.state_dict().at(name), parameter) < 1e-5);
  }
  CHECK(distributed.trainer.evaluate() == doctest::Approx(reference.trainer.evaluate()).epsilon(1e-5));
  CHECK(distributed.trainer.train_batches().position() == reference.trainer.train_batches().position());
}

}  // namespace

TEST_CASE("N ranks x batch b take the steps of one process x batch N b") {
  dist::Communicator& world = mpi_world();
  Run reference(kRankBatch * world.world_size());
  const std::vector<double> expected = reference.losses();

  Run distributed(kRankBatch);
  dist::DataParallel parallel(world, distributed.model.named_parameters(), {.bucket_bytes = 4096});
  CHECK(parallel.bucket_count() > 1);  // several buckets, averaged as backward completes them
  distributed.trainer.distribute(parallel);
  check_same_run(distributed, reference, distributed.losses(), expected);
}

TEST_CASE("ZeRO-1: moments sharded over the ranks, the same steps, the same consolidated state") {
  dist::Communicator& world = mpi_world();
  Run reference(kRankBatch * world.world_size());
  const std::vector<double> expected = reference.losses();

  Run distributed(kRankBatch, Sharding::Zero1, &world);
  dist::DataParallel parallel(world, distributed.model.named_parameters());
  distributed.trainer.distribute(parallel);
  check_same_run(distributed, reference, distributed.losses(), expected);

  // This rank holds about 1/N of the moments; gathered, they are the unsharded optimizer's.
  const auto& sharded = dynamic_cast<const ShardedOptimizer&>(distributed.optimizer());
  const int64_t parameters = distributed.model.parameter_count();
  CHECK(sharded.state_bytes() <= 2 * 4 * (parameters / world.world_size() + 1));
  const NamedTensors gathered = sharded.state();
  const NamedTensors unsharded = reference.optimizer().state();
  const std::map<std::string, Tensor> expected_state(unsharded.begin(), unsharded.end());
  REQUIRE(gathered.size() == unsharded.size());
  for (const auto& [name, tensor] : gathered) {
    INFO(name);
    CHECK(relative_difference(tensor, expected_state.at(name)) < 1e-4);
  }

  // A fresh sharded optimizer loads the consolidated state back: its own shard of each tensor.
  Run resumed(kRankBatch, Sharding::Zero1, &world);
  resumed.optimizer().load_state(expected_state, "the reference state");
  for (const auto& [name, tensor] : resumed.optimizer().state()) {
    INFO(name);
    CHECK(tensor.to_vector<float>() == expected_state.at(name).to_vector<float>());
  }
}

TEST_CASE("ZeRO-1 state that lacks a tensor is an error naming it") {
  Run run(kRankBatch, Sharding::Zero1, &mpi_world());
  CHECK_THROWS_WITH_AS(run.optimizer().load_state({}, "saved.safetensors"),
                       doctest::Contains("saved.safetensors has no tensor 'model."), Error);
}

}  // namespace bytegrad::train
