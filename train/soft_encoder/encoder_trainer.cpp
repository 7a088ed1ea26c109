#include "train/soft_encoder/encoder_trainer.h"

#include <set>

#include <chrono>

#include "autograd/backward.h"
#include "autograd/functions.h"
#include "autograd/grad_mode.h"
#include "base/error.h"
#include "tensor/creation.h"
#include "train/grad_clip.h"
#include "train/soft_encoder/token_encoding.h"

namespace bytegrad::train {
namespace {

Tensor id_tensor(const std::vector<int64_t>& ids) { return from_vector(ids, {int64_t(ids.size())}); }

std::vector<std::string> bytes_of(const TokenDataset& data, const std::vector<int64_t>& ids) {
  std::vector<std::string> strings;
  for (int64_t id : ids) strings.push_back(data.bytes[size_t(id)]);
  return strings;
}

}  // namespace

EncoderTrainer::EncoderTrainer(nn::SoftByteEncoder& encoder, Optimizer& optimizer, LearningRateSchedule schedule,
                               const TokenDataset& data, EncoderLossWeights weights, EncoderTrainerOptions options)
    : encoder_(encoder),
      optimizer_(optimizer),
      schedule_(schedule),
      data_(data),
      weights_(weights),
      options_(options),
      order_generator_(options.seed) {
  BYTEGRAD_CHECK(!data.train_ids.empty(), "EncoderTrainer: no training tokens");
  BYTEGRAD_CHECK(options.steps > 0 && options.batch_size > 0, "EncoderTrainer: steps ", options.steps,
                 " and batch_size ", options.batch_size, " must be positive");
}

EncoderTrainer::State EncoderTrainer::state() const {
  return {step_, order_, int64_t(position_), order_generator_.seed(), order_generator_.offset()};
}

void EncoderTrainer::restore(const State& state) {
  BYTEGRAD_CHECK(state.position >= 0 && size_t(state.position) <= state.order.size() && state.step >= 0,
                 "EncoderTrainer: position ", state.position, " lies outside an epoch of ", state.order.size(),
                 " tokens (step ", state.step, ")");
  const std::set<int64_t> training(data_.train_ids.begin(), data_.train_ids.end());
  for (int64_t id : state.order)
    BYTEGRAD_CHECK(training.count(id), "EncoderTrainer: token ", id,
                   " of the saved order is not a training token of this run (another host or split?)");
  step_ = state.step;
  order_ = state.order;
  position_ = size_t(state.position);
  order_generator_.set_state(state.generator_seed, state.generator_offset);
}

std::vector<int64_t> EncoderTrainer::next_batch() {
  // Shuffled epochs: every training token once per epoch (the original drew rows at random and
  // never drew its last 50).
  std::vector<int64_t> batch;
  while (int64_t(batch.size()) < options_.batch_size) {
    if (position_ == order_.size()) {
      const std::vector<int64_t> permutation =
          randperm(int64_t(data_.train_ids.size()), {kInt64, kCPU}, &order_generator_).to_vector<int64_t>();
      order_.clear();
      for (int64_t index : permutation) order_.push_back(data_.train_ids[size_t(index)]);
      position_ = 0;
    }
    batch.push_back(order_[position_++]);
  }
  return batch;
}

MetricsRecord EncoderTrainer::train_step() {
  const auto start = std::chrono::steady_clock::now();
  encoder_.train();
  const std::vector<int64_t> ids = next_batch();
  const Tensor index = id_tensor(ids);
  const Tensor pred = encoder_.forward(nn::frame_bytes(bytes_of(data_, ids), encoder_.config().max_bytes));
  const EncoderLoss loss = encoder_loss(pred, index_select(data_.targets, 0, index), data_.targets, index, weights_);
  optimizer_.zero_grad();
  backward(loss.total);
  MetricsRecord record;
  record.grad_norm = clip_grad_norm(encoder_.parameters(), options_.grad_clip);
  record.lr = schedule_.at(step_);
  optimizer_.set_learning_rate(record.lr);
  optimizer_.step();
  ++step_;
  record.step = step_;
  record.loss = loss.total.item<float>();
  const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  record.tokens_per_second = double(ids.size()) / seconds;
  return record;
}

EncoderEvaluation EncoderTrainer::evaluate() const {
  encoder_.eval();
  EncoderEvaluation evaluation;
  const Tensor train_pred = encode_tokens(encoder_, data_, data_.train_ids);
  evaluation.nn_accuracy_train = nearest_neighbour_accuracy(train_pred, data_.targets, data_.train_ids);
  if (!data_.heldout_ids.empty()) {
    NoGradGuard no_grad;
    const Tensor index = id_tensor(data_.heldout_ids);
    const Tensor pred = encode_tokens(encoder_, data_, data_.heldout_ids);
    evaluation.heldout_loss =
        encoder_loss(pred, index_select(data_.targets, 0, index), data_.targets, index, weights_).total.item<float>();
    evaluation.nn_accuracy_heldout = nearest_neighbour_accuracy(pred, data_.targets, data_.heldout_ids);
  }
  encoder_.train();
  return evaluation;
}

}  // namespace bytegrad::train
