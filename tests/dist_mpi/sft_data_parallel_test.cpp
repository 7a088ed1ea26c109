// Data-parallel fine-tuning is the same fine-tuning: the ranks' responses differ in length, so
// each rank's loss is weighted by its response tokens, and N ranks x b examples take the steps
// of one process x N b examples, KL penalty included.
#include <doctest/doctest.h>

#include "nn/llama.h"
#include "tests/dist_mpi/mpi_world.h"
#include "tests/tiny_llama.h"
#include "train/sft/trainer.h"

namespace bytegrad::train {
namespace {

using testing::mpi_world;

constexpr int64_t kRankBatch = 3, kSteps = 12;

// Examples of 5 to 13 tokens whose last 1 to 6 tokens are the trained response: every batch
// counts a different number of response tokens on each rank.
std::vector<SftExample> examples() {
  std::vector<SftExample> out;
  for (int i = 0; i < 30; ++i) {
    SftExample example;
    const int length = 5 + (i * 7) % 9, response = 1 + (i * 5) % 6;
    for (int t = 0; t < length; ++t) {
      example.ids.push_back((i * 3 + t * (1 + i % 4)) % 15);
      example.trained.push_back(t >= length - response ? 1 : 0);
    }
    out.push_back(example);
  }
  return out;
}

struct Run {
  Generator generator, reference_generator;
  nn::Llama model, reference;
  AdamW optimizer;
  SftTrainer trainer;

  explicit Run(int64_t batch)
      : generator(5),
        reference_generator(5),
        model(testing::tiny_llama_config(16, 32, 16), generator),
        reference(testing::tiny_llama_config(16, 32, 16), reference_generator),
        optimizer(model.named_parameters(), {.learning_rate = 1e-2, .weight_decay = 0.0}),
        trainer(model, optimizer, {.peak = 1e-2, .floor = 1e-3, .warmup_steps = 2, .total_steps = kSteps},
                SftBatches(examples(), batch, 15, 3), &reference,
                {.steps = kSteps, .batch_size = batch, .grad_accum_steps = 2, .kl_coef = 0.1, .seed = 3}) {}
};

}  // namespace

TEST_CASE("N ranks x b examples fine-tune as one process x N b examples") {
  dist::Communicator& world = mpi_world();
  Run reference(kRankBatch * world.world_size());
  Run distributed(kRankBatch);
  dist::DataParallel parallel(world, distributed.model.named_parameters());
  distributed.trainer.distribute(parallel);
  for (int64_t step = 0; step < kSteps; ++step) {
    const SftMetricsRecord expected = reference.trainer.train_step();
    const SftMetricsRecord got = distributed.trainer.train_step();
    CHECK(got.training.loss == doctest::Approx(expected.training.loss).epsilon(1e-5));
    CHECK(got.nll == doctest::Approx(expected.nll).epsilon(1e-5));
    CHECK(*got.kl == doctest::Approx(*expected.kl).epsilon(1e-4));
  }
  for (const auto& [name, parameter] : reference.model.named_parameters()) {
    INFO(name);
    const std::vector<float> a = distributed.model.state_dict().at(name).to_vector<float>();
    const std::vector<float> b = parameter.to_vector<float>();
    float difference = 0, scale = 0;
    for (size_t i = 0; i < a.size(); ++i) {
      difference = std::max(difference, std::abs(a[i] - b[i]));
      scale = std::max(scale, std::abs(b[i]));
    }
    CHECK(difference <= 1e-5f * scale);
  }
}

}  // namespace bytegrad::train
