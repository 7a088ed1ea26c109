// What a training step minimises. The loops (train/trainer.h for pretraining, train/sft/ for
// fine-tuning) draw batches, accumulate gradients, clip and update; an Objective is the one piece
// that says how a model and a batch make a loss: next-token cross-entropy for pretraining, the
// masked response NLL (plus a KL penalty) for fine-tuning, a multi-label loss for models that
// predict sets of embedding rows.
#pragma once

#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "nn/causal_lm.h"

namespace bytegrad::train {

struct WordBatch;  // T-Free's batch of trigram bags and target patterns (train/word_batch.h)

// One micro-batch as objectives see it.
struct Batch {
  Tensor inputs;   // what the model reads: ids [B, T] int64
  Tensor targets;  // what its output is compared with: next ids [B, T] int64 for the token losses
  Tensor mask;     // float32 [B, T], 1 where a position counts; undefined: every position counts
  int64_t tokens = 0;          // positions in the batch (B * T), for throughput
  int64_t counted_tokens = 0;  // positions that count: the mask's sum, or `tokens` without a mask
  // For models that read words as trigram bags (T-Free) instead of ids: their inputs and
  // targets, with inputs/targets/mask left undefined. Null for token models.
  std::shared_ptr<const WordBatch> words;
};

// The batch with its tensors (ids, targets, mask, T-Free's bags and patterns) on `device`, where
// the model reads them; the batch itself when they are there already. Data sources build batches
// on the CPU.
Batch on_device(const Batch& batch, Device device);

// A loss and the figures worth logging beside it.
struct ObjectiveValue {
  Tensor loss;  // scalar, recorded for backward
  // Named figures (plain numbers, no graph) that the loop averages over micro-batches and logs.
  std::vector<std::pair<std::string, double>> metrics;
  // The factor `loss` carries for the optimizer's sake (T-Free's loss_scale): the loss logged
  // is loss / loss_scale.
  double loss_scale = 1.0;
};

class Objective {
 public:
  virtual ~Objective() = default;
  // The loss of `batch` under `model`, which runs in whatever mode the caller set.
  virtual ObjectiveValue evaluate(const nn::CausalLM& model, const Batch& batch) const = 0;
};

// Mean next-token cross-entropy over every position: pretraining's objective.
class NextTokenCrossEntropy final : public Objective {
 public:
  ObjectiveValue evaluate(const nn::CausalLM& model, const Batch& batch) const override;
};

}  // namespace bytegrad::train
