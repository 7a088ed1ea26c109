// One optimizer step, the same for every loop: gradients of `micro_batches` batches accumulated
// (each loss divided by their count, so the gradient is their mean's), the global norm clipped,
// the learning rate set, the update applied. Pretraining (train/trainer.h) and fine-tuning
// (train/sft/trainer.h) differ only in where batches come from and in their Objective.
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <utility>
#include <vector>

#include "dist/data_parallel.h"
#include "nn/causal_lm.h"
#include "train/nonfinite.h"
#include "train/objective.h"
#include "train/optimizer.h"
#include "train/zero3.h"

namespace bytegrad::train {

struct TrainingStepSettings {
  int64_t micro_batches = 1;  // batches whose gradients make one update
  double grad_clip = 1.0;     // global gradient-norm limit; 0 disables clipping
  double learning_rate = 0;   // the rate for this update (the schedule's value at this step)
  NonFinitePolicy on_nonfinite = NonFinitePolicy::Stop;
  int64_t step = 1;           // 1-based number of this step, for NonFiniteStepError
  // Data-parallel training: the last micro-batch's backward averages the gradients over the
  // ranks, and the loss, metrics and token count reported are the whole job's. Null: one process.
  dist::DataParallel* data_parallel = nullptr;
  // Or ZeRO-3 (train/zero3.h): gradients reduced into each rank's shards, the norm taken over
  // every rank's, the update over this rank's. The optimizer must then be zero3->optimizer().
  Zero3* zero3 = nullptr;
};

struct TrainingStepResult {
  double loss = 0;       // the objective's loss over its loss_scale, averaged over the micro-batches (and ranks)
  double grad_norm = 0;  // global gradient norm before clipping
  int64_t tokens = 0;    // positions processed (sum of Batch::tokens, over every rank)
  bool skipped = false;  // the loss or gradient norm was not finite: no update was applied
  // The objective's metrics, each averaged over the micro-batches, in the objective's order.
  std::vector<std::pair<std::string, double>> metrics;
};

// Puts `model` in training mode, clears the gradients, draws micro_batches batches from
// `next_batch`, backpropagates `objective`'s loss for each, clips, sets the rate and steps
// `optimizer`. When the mean loss or the gradient norm is not finite, nothing is updated: under
// NonFinitePolicy::Stop it throws NonFiniteStepError, under Skip it returns with `skipped` set
// and the gradients cleared. Throws Error when micro_batches is not positive.
TrainingStepResult run_training_step(nn::CausalLM& model, Optimizer& optimizer, const Objective& objective,
                                     const std::function<Batch()>& next_batch, const TrainingStepSettings& settings);

}  // namespace bytegrad::train
