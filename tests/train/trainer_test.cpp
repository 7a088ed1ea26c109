// The training loop on a tiny Llama: the loss falls, a seed fixes the run, and a run resumed
// from a checkpoint takes exactly the steps of one never interrupted.
#include <cmath>
#include <filesystem>
#include <numbers>

#include "tests/tiny_llama.h"
#include "tests/test_util.h"
#include "nn/llama.h"
#include "train/trainer.h"
#include "train/training_checkpoint.h"

namespace bytegrad::train {
namespace {

nn::ModelConfig tiny_llama() { return testing::tiny_llama_config(16, 32, 32); }

// Documents of a learnable rule (each token is the previous plus its document's stride, mod
// 15) packed with EOS = 15.
std::vector<int32_t> rule_tokens() {
  std::vector<std::vector<int32_t>> documents;
  for (int32_t d = 0; d < 40; ++d) {
    std::vector<int32_t> doc;
    for (int32_t i = 0, t = d % 15; i < 12; ++i, t = (t + 1 + d % 3) % 15) doc.push_back(t);
    documents.push_back(doc);
  }
  return pack_documents(documents, 15, 0.0, 1).train;
}

// A model, optimizer and trainer built from one seed, as `bytegrad train` builds them.
struct Run {
  Generator generator;
  nn::Llama model;
  AdamW optimizer;
  Trainer trainer;

  explicit Run(uint64_t seed, int64_t steps = 30)
      : generator(seed),
        model(tiny_llama(), generator),
        optimizer(model.named_parameters(), {.learning_rate = 1e-2, .weight_decay = 0.1}, {"model.embed_tokens.weight"}),
        trainer(model, optimizer, {.peak = 1e-2, .floor = 1e-3, .warmup_steps = 3, .total_steps = steps},
                TokenBatches(rule_tokens(), 4, 12, "train"), TokenBatches(rule_tokens(), 2, 12, "eval"), generator,
                {.steps = steps, .grad_accum_steps = 2, .grad_clip = 1.0, .eval_batches = 2, .sample_tokens = 5,
                 .seed = seed}) {}

  std::vector<double> losses(int64_t steps) {
    std::vector<double> out;
    for (int64_t i = 0; i < steps; ++i) out.push_back(trainer.train_step().loss);
    return out;
  }
};

}  // namespace

TEST_CASE("a tiny Llama's loss falls well below its starting value") {
  Run run(3);
  const double before = run.trainer.evaluate();
  const std::vector<double> losses = run.losses(30);
  const double after = run.trainer.evaluate();
  CHECK(losses.back() < 0.6 * losses.front());
  CHECK(after < 0.6 * before);
  CHECK(run.trainer.step() == 30);
  CHECK(run.optimizer.learning_rate() == doctest::Approx(1e-3 + (1e-2 - 1e-3) * 0.5 * (1 + std::cos(std::numbers::pi * 26 / 27))));
}

TEST_CASE("two runs with the same seed give identical losses and samples") {
  Run a(5), b(5);
  CHECK(a.losses(6) == b.losses(6));
  CHECK(a.trainer.sample({15, 1}) == b.trainer.sample({15, 1}));
  CHECK(a.trainer.sample({15, 1}).size() == 5);
}

TEST_CASE("a run resumed from a checkpoint gives the losses of an uninterrupted one") {
  const std::string directory = BYTEGRAD_BINARY_DIR "/trainer_test_checkpoint";
  std::filesystem::remove_all(directory);
  Run uninterrupted(9);
  const std::vector<double> expected = uninterrupted.losses(8);

  Run first_half(9);
  std::vector<double> losses = first_half.losses(4);
  save_training_checkpoint(directory, first_half.trainer, {{"note", "test"}});
  Run resumed(11);  // another seed: everything that matters must come from the checkpoint
  CHECK(load_training_checkpoint(directory, resumed.trainer) == nlohmann::json{{"note", "test"}});
  CHECK(resumed.trainer.step() == 4);
  for (double loss : resumed.losses(4)) losses.push_back(loss);
  CHECK(losses == expected);
  std::filesystem::remove_all(directory);
}

TEST_CASE("run() logs every step, evaluates and samples at the intervals") {
  Run run(4, 6);
  const std::filesystem::path path = BYTEGRAD_BINARY_DIR "/trainer_test_metrics.jsonl";
  int samples = 0, checkpoints = 0;
  {
    MetricsLog log(path, false);
    TrainerCallbacks callbacks;
    callbacks.on_checkpoint = [&](int64_t) { ++checkpoints; };
    Trainer trainer(run.model, run.optimizer, {.peak = 1e-2, .total_steps = 6}, TokenBatches(rule_tokens(), 2, 8, "train"),
                    TokenBatches(rule_tokens(), 2, 8, "eval"), run.generator,
                    {.steps = 6, .eval_interval = 4, .sample_interval = 3, .sample_tokens = 5, .checkpoint_interval = 5});
    callbacks.on_sample = [&](int64_t) { samples += trainer.sample({15}).size() == 5; };
    trainer.run(&log, callbacks);
  }
  const std::vector<MetricsRecord> records = read_metrics(path);
  REQUIRE(records.size() == 6);
  CHECK(records[3].eval_loss.has_value());
  CHECK(records[5].eval_loss.has_value());  // the last step always evaluates
  CHECK_FALSE(records[4].eval_loss.has_value());
  CHECK(samples == 2);
  CHECK(checkpoints == 2);
  std::filesystem::remove(path);
}

// An objective that doubles next-token cross-entropy: the trainer must train and evaluate with
// whatever objective it is given.
class DoubledCrossEntropy final : public Objective {
 public:
  ObjectiveValue evaluate(const nn::CausalLM& model, const Batch& batch) const override {
    ObjectiveValue value = NextTokenCrossEntropy().evaluate(model, batch);
    value.loss = mul(value.loss, 2.0);
    return value;
  }
};

TEST_CASE("the trainer minimises the objective it is given, in training and evaluation") {
  Run plain(11, 4), doubled(11, 4);
  Trainer trainer(doubled.model, doubled.optimizer, {.peak = 1e-2, .floor = 1e-3, .warmup_steps = 3, .total_steps = 4},
                  TokenBatches(rule_tokens(), 4, 12, "train"), TokenBatches(rule_tokens(), 2, 12, "eval"),
                  doubled.generator, {.steps = 4, .grad_accum_steps = 2, .grad_clip = 0.0, .eval_batches = 2},
                  std::make_shared<DoubledCrossEntropy>());
  const double plain_eval = plain.trainer.evaluate();
  CHECK(trainer.evaluate() == doctest::Approx(2 * plain_eval).epsilon(1e-6));
  const double plain_loss = plain.trainer.train_step().loss;
  CHECK(trainer.train_step().loss == doctest::Approx(2 * plain_loss).epsilon(1e-6));
}

}  // namespace bytegrad::train

namespace bytegrad::train {
namespace {

// A trainer over `run`'s model whose final norm holds a NaN, so every loss is NaN.
Trainer poisoned_trainer(Run& run, NonFinitePolicy policy) {
  for (const auto& [name, parameter] : run.model.named_parameters())
    if (name == "model.norm.weight") ops::copy_(parameter, full({1}, NAN));
  return Trainer(run.model, run.optimizer, {.peak = 1e-2, .floor = 1e-3, .warmup_steps = 0, .total_steps = 5},
                 TokenBatches(rule_tokens(), 4, 12, "train"), std::nullopt, run.generator,
                 {.steps = 5, .grad_clip = 1.0, .on_nonfinite = policy});
}

}  // namespace

TEST_CASE("a step whose loss is NaN stops the trainer by default, naming the step, and updates nothing") {
  Run run(5);
  Trainer trainer = poisoned_trainer(run, NonFinitePolicy::Stop);
  const Tensor embedding_before = clone(run.model.named_parameters().front().second);
  try {
    trainer.train_step();
    FAIL("no error");
  } catch (const NonFiniteStepError& e) {
    CHECK(e.step == 1);
    CHECK(std::isnan(e.loss));
    CHECK(std::string(e.what()).rfind("training stopped at step 1: loss ", 0) == 0);
    CHECK(std::string(e.what()).find("the step's update was not applied") != std::string::npos);
  }
  CHECK(trainer.step() == 0);
  testing::check_close(run.model.named_parameters().front().second, embedding_before, 0, 0);
}

TEST_CASE("on_nonfinite skip counts the step, marks its record and leaves the weights as they were") {
  Run run(5);
  Trainer trainer = poisoned_trainer(run, NonFinitePolicy::Skip);
  const Tensor embedding_before = clone(run.model.named_parameters().front().second);
  const MetricsRecord first = trainer.train_step();
  const MetricsRecord second = trainer.train_step();
  CHECK(first.skipped);
  CHECK(second.skipped);
  CHECK(second.step == 2);
  CHECK(trainer.step() == 2);
  CHECK(trainer.skipped_steps() == 2);
  testing::check_close(run.model.named_parameters().front().second, embedding_before, 0, 0);
  for (const auto& [name, parameter] : run.model.named_parameters()) CHECK_FALSE(parameter.grad().defined());
}

}  // namespace bytegrad::train
