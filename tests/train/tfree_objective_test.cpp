// T-Free's objective drives the ordinary training step: on a fixed synthetic batch (two packed
// documents in one row, a padding position) a few AdamW steps lower the loss, and the loss the
// step reports is the logged one, loss / loss_scale.
#include <doctest/doctest.h>

#include <memory>

#include "autograd/functions.h"
#include "nn/llama.h"
#include "nn/tfree.h"
#include "tests/tiny_llama.h"
#include "train/optimizer.h"
#include "train/tfree_objective.h"
#include "train/training_step.h"

using namespace bytegrad;

namespace {

nn::ModelConfig tiny_tfree_config() {
  nn::ModelConfig config = testing::tiny_llama_config(/*vocab_size=*/32, /*hidden_size=*/16, /*max_positions=*/8);
  config.tfree.population = 2;
  config.tfree.loss_pos_weight = 5;
  config.tfree.loss_scale = 10;
  return config;
}

// One row of 4 word positions: documents at positions (0, 1, 2) and (0), the last word padding.
// Word w's trigrams, m = 2 rows each; targets are the next word's rows.
train::Batch synthetic_batch() {
  auto words = std::make_shared<train::WordBatch>();
  words->trigram_ids = from_vector<int64_t>({1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12}, {6, 2});
  words->bag_offsets = from_vector<int64_t>({0, 2, 4, 6, 6}, {5});
  words->target_ids = from_vector<int64_t>({3, 4, 7, 8, 9, 10, 20, 21}, {8});
  words->target_offsets = from_vector<int64_t>({0, 2, 6, 8, 8}, {5});
  words->weights = from_vector<float>({1, 1, 1, 0}, {4});
  words->position_ids = from_vector<int64_t>({0, 1, 0, 1}, {1, 4});
  words->batch = 1;
  words->tokens = 4;
  train::Batch batch;
  batch.tokens = batch.counted_tokens = 4;
  batch.words = words;
  return batch;
}

}  // namespace

TEST_CASE("a T-Free training step lowers the multi-label loss on a fixed batch and logs it unscaled") {
  Generator generator(21);
  nn::TFree model(tiny_tfree_config(), generator);
  const train::TFreeObjective objective;
  const train::Batch batch = synthetic_batch();
  const double scaled = objective.evaluate(model, batch).loss.item<float>();
  train::AdamW optimizer(model.named_parameters(), {.learning_rate = 0.01});
  const auto step = [&] {
    return train::run_training_step(model, optimizer, objective, [&] { return batch; }, {.learning_rate = 0.01});
  };
  const train::TrainingStepResult first = step();
  CHECK(first.loss == doctest::Approx(scaled / 10.0).epsilon(1e-5));
  double last = first.loss;
  for (int i = 0; i < 5; ++i) last = step().loss;
  CHECK(last < 0.9 * first.loss);
}

TEST_CASE("the T-Free objective names what it cannot use") {
  Generator generator(1);
  const nn::Llama llama(testing::tiny_llama_config(32, 16, 8), generator);
  const nn::TFree tfree(tiny_tfree_config(), generator);
  const train::TFreeObjective objective;
  CHECK_THROWS_WITH_AS(objective.evaluate(llama, synthetic_batch()), doctest::Contains("not a T-Free model"), Error);
  CHECK_THROWS_WITH_AS(objective.evaluate(tfree, train::Batch{}), doctest::Contains("no words"), Error);
}
