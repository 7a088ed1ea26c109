// The training loop for causal language models: batches from a BatchSource (packed token
// windows, or T-Free's packed word windows), gradient
// accumulation, global-norm clipping, a learning-rate schedule, periodic eval loss on held-out
// tokens and samples of generated text. Everything random is drawn from seeded generators and
// the data position is explicit, so a run is reproducible and a checkpoint can resume it
// exactly (train/training_checkpoint.h).
//
//   Trainer trainer(model, optimizer, schedule, std::move(train_batches), std::move(eval_batches),
//                   model_generator, options);
//   while (trainer.step() < options.steps) MetricsRecord record = trainer.train_step();
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>

#include "dist/data_parallel.h"
#include "nn/causal_lm.h"
#include "tensor/generator.h"
#include "train/metrics.h"
#include "train/nonfinite.h"
#include "train/objective.h"
#include "train/optimizer.h"
#include "train/schedule.h"
#include "train/zero3.h"
#include "train/batch_source.h"
#include "train/data/token_stream.h"

namespace bytegrad::train {

struct TrainerOptions {
  int64_t steps = 100;             // optimizer steps in the whole run
  int64_t grad_accum_steps = 1;    // micro-batches per optimizer step
  double grad_clip = 1.0;          // global gradient-norm limit; 0 disables clipping
  int64_t eval_interval = 0;       // evaluate every N steps (and after the last); 0: never
  int64_t eval_batches = 4;        // held-out batches per evaluation (always the same ones)
  int64_t sample_interval = 0;     // sample every N steps (and after the last); 0: never
  int64_t sample_tokens = 32;
  double sample_temperature = 0.8;  // 0: greedy
  int64_t checkpoint_interval = 0;  // run() calls on_checkpoint every N steps and after the last
  uint64_t seed = 0;                // sampling seeds derive from it and the step
  NonFinitePolicy on_nonfinite = NonFinitePolicy::Stop;  // a step whose loss or gradient norm is not finite
};

// What run() reports as it goes; every callback is optional.
struct TrainerCallbacks {
  // After each step, with the estimated seconds left.
  std::function<void(const MetricsRecord&, double eta_seconds)> on_step;
  // When a sample is due: the caller draws it (Trainer::sample for token models) and shows it.
  std::function<void(int64_t step)> on_sample;
  std::function<void(int64_t step)> on_checkpoint;
};

class Trainer {
 public:
  // `model_generator` is the generator the model was built with (it draws dropout masks); the
  // trainer records its state for checkpoints. The model, optimizer and generator must outlive
  // the trainer. `objective` (next-token cross-entropy unless given) makes each batch's loss.
  // Throws Error when steps or grad_accum_steps are not positive.
  Trainer(nn::CausalLM& model, Optimizer& optimizer, LearningRateSchedule schedule,
          std::unique_ptr<BatchSource> train_batches, std::unique_ptr<BatchSource> eval_batches,
          Generator& model_generator, TrainerOptions options, std::shared_ptr<const Objective> objective);
  // Token models: packed token windows and (unless given) next-token cross-entropy.
  Trainer(nn::CausalLM& model, Optimizer& optimizer, LearningRateSchedule schedule, TokenBatches train_batches,
          std::optional<TokenBatches> eval_batches, Generator& model_generator, TrainerOptions options,
          std::shared_ptr<const Objective> objective = std::make_shared<NextTokenCrossEntropy>());

  // One optimizer step over grad_accum_steps micro-batches (train/training_step.h): forward, the
  // objective, backward, clipping, the schedule's rate, the update. The record's eval_loss is unset.
  // A step whose loss or gradient norm is not finite updates nothing: it throws
  // NonFiniteStepError (options.on_nonfinite Stop; step() stays where it was) or is counted in
  // skipped_steps() and marked in the record (Skip).
  MetricsRecord train_step();

  // The objective's mean loss over the first eval_batches held-out batches (the same every
  // time), in eval mode without recording gradients. Throws Error when there is no held-out
  // source.
  double evaluate();

  // A continuation of token ids `prompt` (options' sample length and temperature) by
  // infer::generate, seeded by the step; stops early at the model's context. Under ZeRO-3 every
  // rank must call it (the model is gathered for the call).
  std::vector<int64_t> sample(const std::vector<int64_t>& prompt);

  // Steps until options.steps, evaluating and calling back at the intervals; writes each record
  // to `log` when given. Returns the last record.
  MetricsRecord run(MetricsLog* log, const TrainerCallbacks& callbacks);

  // Data-parallel training over `data_parallel`'s ranks (it must outlive the trainer): each rank
  // reads its own slice of every training and held-out batch (BatchSource::slice_for_rank), the
  // gradients are averaged as backward produces them, and the losses reported are the whole
  // job's. Throws Error when a batch source cannot be split.
  void distribute(dist::DataParallel& data_parallel);
  // The same with ZeRO-3 (train/zero3.h; the trainer's optimizer must be zero3.optimizer()):
  // samples and checkpoints gather the whole model once each.
  void distribute(Zero3& zero3);
  dist::DataParallel* data_parallel() { return data_parallel_; }
  Zero3* zero3() { return zero3_; }
  // The ranks this trainer shares its steps with, or null for one process.
  dist::Communicator* communicator();

  // State for checkpoints.
  int64_t step() const { return step_; }
  void set_step(int64_t step) { step_ = step; }
  // Steps skipped for non-finite values since this trainer was built.
  int64_t skipped_steps() const { return skipped_steps_; }
  BatchSource& train_batches() { return *train_batches_; }
  bool has_eval_batches() const { return eval_batches_ != nullptr; }
  Generator& model_generator() { return model_generator_; }
  Optimizer& optimizer() { return optimizer_; }
  nn::CausalLM& model() { return model_; }
  const TrainerOptions& options() const { return options_; }

 private:
  nn::CausalLM& model_;
  Optimizer& optimizer_;
  LearningRateSchedule schedule_;
  std::unique_ptr<BatchSource> train_batches_;
  std::unique_ptr<BatchSource> eval_batches_;  // null: no held-out data
  Generator& model_generator_;
  TrainerOptions options_;
  std::shared_ptr<const Objective> objective_;
  int64_t step_ = 0;
  int64_t skipped_steps_ = 0;
  dist::DataParallel* data_parallel_ = nullptr;  // null: one process (or ZeRO-3)
  Zero3* zero3_ = nullptr;                        // null: parameters not sharded
};

}  // namespace bytegrad::train
