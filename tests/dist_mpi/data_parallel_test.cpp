// Data-parallel training is the same training: N ranks with batch b each take the steps of one
// process with batch N * b, to float32 rounding. Every rank trains the one-process reference
// itself (no communication), then its share of the distributed run, and compares the two.
#include <doctest/doctest.h>

#include <cmath>

#include "nn/llama.h"
#include "tests/dist_mpi/mpi_world.h"
#include "tests/tiny_llama.h"
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

// A run built from one seed as `bytegrad train` builds it, with `batch` rows per micro-batch.
struct Run {
  Generator generator;
  nn::Llama model;
  AdamW optimizer;
  Trainer trainer;

  explicit Run(int64_t batch)
      : generator(11),
        model(testing::tiny_llama_config(16, 32, 32), generator),
        optimizer(model.named_parameters(), {.learning_rate = 1e-2, .weight_decay = 0.1}, {"model.embed_tokens.weight"}),
        trainer(model, optimizer, {.peak = 1e-2, .floor = 1e-3, .warmup_steps = 3, .total_steps = kSteps},
                TokenBatches(rule_tokens(), batch, kSeqLen, "train"), TokenBatches(rule_tokens(), batch, kSeqLen, "eval"),
                generator, {.steps = kSteps, .grad_accum_steps = 2, .grad_clip = 1.0, .eval_batches = 2, .seed = 11}) {}

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

}  // namespace

TEST_CASE("N ranks x batch b take the steps of one process x batch N b") {
  dist::Communicator& world = mpi_world();
  Run reference(kRankBatch * world.world_size());
  const std::vector<double> expected = reference.losses();

  Run distributed(kRankBatch);
  dist::DataParallel parallel(world, distributed.model.named_parameters(), {.bucket_bytes = 4096});
  CHECK(parallel.bucket_count() > 1);  // several buckets, averaged as backward completes them
  distributed.trainer.distribute(parallel);
  const std::vector<double> losses = distributed.losses();

  REQUIRE(losses.size() == expected.size());
  for (size_t i = 0; i < losses.size(); ++i) CHECK(losses[i] == doctest::Approx(expected[i]).epsilon(1e-5));
  CHECK(losses.back() < 0.8 * losses.front());
  for (const auto& [name, parameter] : reference.model.named_parameters()) {
    INFO(name);
    const Tensor other = distributed.model.state_dict().at(name);
    CHECK(relative_difference(other, parameter) < 1e-5);
  }
  CHECK(distributed.trainer.evaluate() == doctest::Approx(reference.trainer.evaluate()).epsilon(1e-5));
  CHECK(distributed.trainer.train_batches().position() == reference.trainer.train_batches().position());
}

}  // namespace bytegrad::train
