#include "train/sft/trainer.h"

#include <algorithm>
#include <chrono>
#include <numeric>

#include "autograd/backward.h"
#include "autograd/grad_mode.h"
#include "base/error.h"
#include "train/grad_clip.h"
#include "train/sft/loss.h"

namespace bytegrad::train {

SftBatches::SftBatches(std::vector<SftExample> examples, int64_t batch_size, tokenizer::TokenId eos, uint64_t seed)
    : examples_(std::move(examples)), batch_size_(batch_size), eos_(eos), rng_(seed) {
  BYTEGRAD_CHECK(!examples_.empty(), "sft: no training examples");
  BYTEGRAD_CHECK(batch_size_ > 0, "sft: batch_size must be positive, got ", batch_size_);
  order_.resize(examples_.size());
  reshuffle();
}

void SftBatches::reshuffle() {
  std::iota(order_.begin(), order_.end(), size_t(0));
  std::shuffle(order_.begin(), order_.end(), rng_);
  position_ = 0;
}

SftBatch SftBatches::next() {
  std::vector<SftExample> batch;
  batch.reserve(size_t(batch_size_));
  while (int64_t(batch.size()) < batch_size_) {
    if (position_ == order_.size()) {
      reshuffle();
      ++epoch_;
    }
    batch.push_back(examples_[order_[position_++]]);
  }
  return collate_sft_examples(batch, eos_);
}

SftTrainer::SftTrainer(nn::LanguageModel& model, Optimizer& optimizer, LearningRateSchedule schedule, SftBatches batches,
                       nn::LanguageModel* reference, SftOptions options)
    : model_(model), optimizer_(optimizer), schedule_(schedule), batches_(std::move(batches)), reference_(reference),
      options_(options), parameters_(model.module().parameters()) {
  BYTEGRAD_CHECK(options_.steps > 0, "sft: steps must be positive, got ", options_.steps);
  BYTEGRAD_CHECK(options_.grad_accum_steps > 0, "sft: grad_accum_steps must be positive, got ",
                 options_.grad_accum_steps);
  BYTEGRAD_CHECK(options_.kl_coef >= 0, "sft: kl_coef must not be negative, got ", options_.kl_coef);
  if (reference_) reference_->module().eval();
}

SftMetricsRecord SftTrainer::train_step() {
  const auto start = std::chrono::steady_clock::now();
  model_.module().train();
  optimizer_.zero_grad();
  SftMetricsRecord record;
  double objective = 0, kl = 0;
  int64_t tokens = 0;
  for (int64_t micro = 0; micro < options_.grad_accum_steps; ++micro) {
    const SftBatch batch = batches_.next();
    tokens += batch.input_ids.numel();
    Tensor reference_logits;
    if (reference_) {
      NoGradGuard no_grad;
      reference_logits = reference_->forward(batch.input_ids);
    }
    const SftMicrobatchLoss loss = sft_microbatch_loss(model_.forward(batch.input_ids), batch, options_.grad_accum_steps,
                                                       reference_ ? &reference_logits : nullptr, options_.kl_coef);
    backward(loss.scaled_loss);
    record.nll += loss.nll;
    record.response_entropy += loss.entropy;
    kl += loss.kl.value_or(0.0);
    objective += loss.nll + options_.kl_coef * loss.kl.value_or(0.0);
  }
  const double micro_batches = double(options_.grad_accum_steps);
  MetricsRecord& r = record.training;
  r.grad_norm = clip_grad_norm(parameters_, options_.grad_clip);
  r.lr = schedule_.at(step_);
  optimizer_.set_learning_rate(r.lr);
  optimizer_.step();
  r.step = ++step_;
  r.loss = objective / micro_batches;
  record.nll /= micro_batches;
  record.response_entropy /= micro_batches;
  if (reference_) record.kl = kl / micro_batches;
  const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  r.tokens_per_second = double(tokens) / std::max(seconds, 1e-9);
  return record;
}

}  // namespace bytegrad::train
