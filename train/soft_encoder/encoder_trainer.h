// Training the soft encoder to reproduce a host's input embeddings from the tokens' bytes:
// shuffled epochs over the training tokens, the objective of encoder_loss.h, global-norm
// clipping, a learning-rate schedule, and evaluation of the held-out loss and nearest-neighbour
// accuracy on training and held-out tokens.
#pragma once

#include <cstdint>

#include "nn/soft_encoder.h"
#include "tensor/generator.h"
#include "train/metrics.h"
#include "train/optimizer.h"
#include "train/schedule.h"
#include "train/soft_encoder/encoder_loss.h"
#include "train/soft_encoder/token_dataset.h"

namespace bytegrad::train {

struct EncoderTrainerOptions {
  int64_t steps = 2000;
  int64_t batch_size = 256;  // tokens per step
  double grad_clip = 1.0;    // 0 disables clipping
  uint64_t seed = 0;         // the order of the tokens
};

struct EncoderEvaluation {
  double heldout_loss = 0;         // the objective on the held-out tokens (0 when none)
  double nn_accuracy_train = 0;    // over every training token
  double nn_accuracy_heldout = 0;  // over every held-out token
};

class EncoderTrainer {
 public:
  // The encoder, optimizer and data must outlive the trainer. Throws Error when there are no
  // training tokens or steps / batch_size are not positive.
  EncoderTrainer(nn::SoftByteEncoder& encoder, Optimizer& optimizer, LearningRateSchedule schedule,
                 const TokenDataset& data, EncoderLossWeights weights, EncoderTrainerOptions options);

  // One optimizer step on the next batch_size training tokens. The record's tokens_per_second
  // counts vocabulary entries encoded per second; eval_loss is unset.
  MetricsRecord train_step();
  // Held-out loss and nearest-neighbour accuracies, in eval mode without gradients.
  EncoderEvaluation evaluate() const;

  int64_t step() const { return step_; }

  // Everything besides the encoder's weights and the optimizer's state that a checkpoint must
  // hold to continue exactly as an uninterrupted run: the step, this epoch's token order, the
  // position in it, and the state of the generator that draws the next epoch's order.
  struct State {
    int64_t step = 0;
    std::vector<int64_t> order;
    int64_t position = 0;
    uint64_t generator_seed = 0, generator_offset = 0;
  };
  State state() const;
  // Throws Error when the position lies outside the order or the order names a token that is not
  // a training token of this run's data.
  void restore(const State& state);

 private:
  std::vector<int64_t> next_batch();

  nn::SoftByteEncoder& encoder_;
  Optimizer& optimizer_;
  LearningRateSchedule schedule_;
  const TokenDataset& data_;
  EncoderLossWeights weights_;
  EncoderTrainerOptions options_;
  Generator order_generator_;
  std::vector<int64_t> order_;  // this epoch's shuffled training tokens
  size_t position_ = 0;
  int64_t step_ = 0;
};

}  // namespace bytegrad::train
