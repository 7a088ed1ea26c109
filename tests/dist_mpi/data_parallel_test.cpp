// Data-parallel training is the same training: N ranks with batch b each take the steps of one
// process with batch N * b, to float32 rounding. Every rank trains the one-process reference
// itself (no communication), then its share of the distributed run, and compares the two.
#include <doctest/doctest.h>

#include <cmath>

#include "nn/llama.h"
#include "tests/dist_mpi/mpi_world.h"
#include "tests/tiny_llama.h"
#include "train/optimizer_settings.h"
#include "train/sharded_optimizer.h"
#include "train/trainer.h"

namespace bytegrad::train {
namespace {

using testing::mpi_world;

constexpr int64_t kRankBatch = 2, kSeqLen = 12, kSteps = 20;

// Documents of a learnable rule (each token is the previous plus its document's stride, mod 15)
// packed with EOS = 15.
std::vector<int32_t> rule_tokens() {
  std::vector<std::vector<int32_t>> documents;
  for (int32_t d = 0; d < 40; ++d) {
    std::vector<int32_t> doc;
    for (int32_t i = 0, t = d % 15; i < 12; ++i, t = (t + 1 + d % 3) % 15) doc.push_back(t);
    documents.push_back(doc);
  }
  return pack_documents(documents, 15, 0.0, 1).train;
}

// A run built from one seed as `bytegrad train` builds it, with `batch` rows per micro-batch;
// with `world`, its optimizer's state is sharded over the ranks (ZeRO-1).
struct Run {
  Generator generator;
  nn::Llama model;
  std::unique_ptr<Optimizer> optimizer;
  Trainer trainer;

  explicit Run(int64_t batch, dist::Communicator* sharded_over = nullptr)
      : generator(11),
        model(testing::tiny_llama_config(16, 32, 32), generator),
        optimizer(sharded_over ? std::unique_ptr<Optimizer>(make_sharded_optimizer(settings(), model, *sharded_over))
                               : make_optimizer(settings(), model)),
        trainer(model, *optimizer, {.peak = 1e-2, .floor = 1e-3, .warmup_steps = 3, .total_steps = kSteps},
                TokenBatches(rule_tokens(), batch, kSeqLen, "train"), TokenBatches(rule_tokens(), batch, kSeqLen, "eval"),
                generator, {.steps = kSteps, .grad_accum_steps = 2, .grad_clip = 1.0, .eval_batches = 2, .seed = 11}) {}

  static OptimizerSettings settings() {
    OptimizerSettings settings;
    settings.adamw = {.learning_rate = 1e-2, .weight_decay = 0.1};
    return settings;
  }

  std::vector<double> losses() {
    std::vector<double> out;
    while (trainer.step() < kSteps) out.push_back(trainer.train_step().loss);
    return out;
  }
};

// max |a - b| over max |b|, per tensor: the relative error of a parameter as a whole.
double relative_difference(const Tensor& a, const Tensor& b) {
  const std::vector<float> x = a.to_vector<float>(), y = b.to_vector<float>();
  double difference = 0, scale = 0;
  for (size_t i = 0; i < x.size(); ++i) {
    difference = std::max(difference, double(std::abs(x[i] - y[i])));
    scale = std::max(scale, double(std::abs(y[i])));
  }
  return difference / scale;
}

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

  Run distributed(kRankBatch, &world);
  dist::DataParallel parallel(world, distributed.model.named_parameters());
  distributed.trainer.distribute(parallel);
  check_same_run(distributed, reference, distributed.losses(), expected);

  // This rank holds about 1/N of the moments; gathered, they are the unsharded optimizer's.
  const auto& sharded = dynamic_cast<const ShardedOptimizer&>(*distributed.optimizer);
  const int64_t parameters = distributed.model.parameter_count();
  CHECK(sharded.state_bytes() <= 2 * 4 * (parameters / world.world_size() + 1));
  const NamedTensors gathered = sharded.state();
  const NamedTensors unsharded = reference.optimizer->state();
  const std::map<std::string, Tensor> expected_state(unsharded.begin(), unsharded.end());
  REQUIRE(gathered.size() == unsharded.size());
  for (const auto& [name, tensor] : gathered) {
    INFO(name);
    CHECK(relative_difference(tensor, expected_state.at(name)) < 1e-4);
  }

  // A fresh sharded optimizer loads the consolidated state back: its own shard of each tensor.
  Run resumed(kRankBatch, &world);
  resumed.optimizer->load_state(expected_state, "the reference state");
  for (const auto& [name, tensor] : resumed.optimizer->state()) {
    INFO(name);
    CHECK(tensor.to_vector<float>() == expected_state.at(name).to_vector<float>());
  }
}

TEST_CASE("ZeRO-1 state that lacks a tensor is an error naming it") {
  Run run(kRankBatch, &mpi_world());
  CHECK_THROWS_WITH_AS(run.optimizer->load_state({}, "saved.safetensors"),
                       doctest::Contains("saved.safetensors has no tensor 'model."), Error);
}

}  // namespace bytegrad::train
