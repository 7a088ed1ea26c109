// The supervised fine-tuning loop: shuffled batches of examples, the masked response loss
// (train/sft/objective.h) with gradient accumulation, an optional KL penalty towards a frozen
// reference model, global-norm clipping, a learning-rate schedule and an optimizer: one
// train/training_step.h step per call.
//
//   SftTrainer trainer(model, optimizer, schedule, examples, eos, nullptr, options);
//   while (trainer.step() < options.steps) SftMetricsRecord record = trainer.train_step();
#pragma once

#include <cstdint>
#include <vector>

#include "dist/data_parallel.h"
#include "nn/causal_lm.h"
#include "tensor/generator.h"
#include "train/nonfinite.h"
#include "train/optimizer.h"
#include "train/schedule.h"
#include "train/sft/batch.h"
#include "train/sft/metrics.h"
#include "train/sft/objective.h"

namespace bytegrad::train {

struct SftOptions {
  int64_t steps = 100;           // optimizer steps
  int64_t batch_size = 16;       // examples per micro-batch
  int64_t grad_accum_steps = 1;  // micro-batches per optimizer step
  double grad_clip = 1.0;        // global gradient-norm limit; 0 disables clipping
  double kl_coef = 0.0;          // weight of the KL to the reference (used when one is given)
  uint64_t seed = 0;             // the order in which examples are drawn
  NonFinitePolicy on_nonfinite = NonFinitePolicy::Stop;  // a step whose loss or gradient norm is not finite
};

// Examples drawn in a fresh random order each epoch (randperm from the Philox stream of `seed`); every batch is full (an epoch's last,
// partial batch continues into the next epoch's order).
class SftBatches {
 public:
  // Throws Error when `examples` is empty or batch_size is not positive.
  SftBatches(std::vector<SftExample> examples, int64_t batch_size, tokenizer::TokenId eos, uint64_t seed);
  SftBatch next();
  int64_t epoch() const { return epoch_; }
  // Data-parallel training: next() then draws a global batch of world_size * batch_size examples
  // and returns this rank's batch_size of them (rank * batch_size onwards), so that the ranks
  // together train on what one process with the whole batch would. Throws Error for a rank
  // outside the world.
  void slice_for_rank(int64_t rank, int64_t world_size);

 private:
  void reshuffle();

  std::vector<SftExample> examples_;
  int64_t batch_size_;
  tokenizer::TokenId eos_;
  Generator generator_;          // the Philox stream the epochs' orders are drawn from
  std::vector<int64_t> order_;
  size_t position_ = 0;
  int64_t epoch_ = 0;
  int64_t rank_ = 0, world_size_ = 1;
};

class SftTrainer {
 public:
  // `reference` (optional) is a frozen copy of the starting model: it runs without gradients in
  // eval mode, and the loss adds kl_coef * KL(model || reference) over the response tokens. The
  // models and optimizer must outlive the trainer. Throws Error when steps or grad_accum_steps
  // are not positive, or when kl_coef is negative.
  SftTrainer(nn::CausalLM& model, Optimizer& optimizer, LearningRateSchedule schedule, SftBatches batches,
             nn::CausalLM* reference, SftOptions options);

  // One optimizer step over grad_accum_steps micro-batches: forward, the masked loss, backward
  // (each micro-batch's loss divided by their count), clipping, the schedule's rate, the update.
  // The record's eval_accuracy is unset. A step whose loss or gradient norm is not finite updates
  // nothing and throws NonFiniteStepError or is skipped (marked in the record), as
  // options.on_nonfinite says.
  SftMetricsRecord train_step();

  // Data-parallel training over `data_parallel`'s ranks (it must outlive the trainer): each rank
  // trains on its slice of every batch, the gradients are averaged as backward produces them,
  // and the losses are the whole batch's, weighted by response tokens.
  void distribute(dist::DataParallel& data_parallel);

  int64_t step() const { return step_; }
  const SftOptions& options() const { return options_; }
  const SftBatches& batches() const { return batches_; }

 private:
  nn::CausalLM& model_;
  Optimizer& optimizer_;
  LearningRateSchedule schedule_;
  SftBatches batches_;
  SftObjective objective_;
  bool has_reference_;
  SftOptions options_;
  dist::DataParallel* data_parallel_ = nullptr;  // null: one process
  int64_t step_ = 0;
};

}  // namespace bytegrad::train
