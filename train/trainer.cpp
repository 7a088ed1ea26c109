#include "train/trainer.h"

#include <chrono>

#include "autograd/backward.h"
#include "autograd/functions.h"
#include "autograd/grad_mode.h"
#include "nn/loss.h"
#include "train/grad_clip.h"
#include "train/sample_tokens.h"

namespace bytegrad::train {

Trainer::Trainer(nn::LanguageModel& model, Optimizer& optimizer, LearningRateSchedule schedule, TokenBatches train_batches,
                 std::optional<TokenBatches> eval_batches, Generator& model_generator, TrainerOptions options)
    : model_(model), optimizer_(optimizer), schedule_(schedule), train_batches_(std::move(train_batches)),
      eval_batches_(std::move(eval_batches)), model_generator_(model_generator), options_(options),
      parameters_(model.module().parameters()) {
  BYTEGRAD_CHECK(options_.steps > 0, "trainer: steps must be positive, got ", options_.steps);
  BYTEGRAD_CHECK(options_.grad_accum_steps > 0, "trainer: grad_accum_steps must be positive, got ",
                 options_.grad_accum_steps);
}

MetricsRecord Trainer::train_step() {
  const auto start = std::chrono::steady_clock::now();
  model_.module().train();
  optimizer_.zero_grad();
  double loss_sum = 0;
  for (int64_t micro = 0; micro < options_.grad_accum_steps; ++micro) {
    const TokenBatch batch = train_batches_.next();
    const Tensor loss = nn::cross_entropy(model_.forward(batch.inputs), batch.targets);
    loss_sum += loss.item<float>();
    backward(options_.grad_accum_steps == 1 ? loss : div(loss, double(options_.grad_accum_steps)));
  }
  MetricsRecord record;
  record.grad_norm = clip_grad_norm(parameters_, options_.grad_clip);
  record.lr = schedule_.at(step_);
  optimizer_.set_learning_rate(record.lr);
  optimizer_.step();
  ++step_;
  record.step = step_;
  record.loss = loss_sum / double(options_.grad_accum_steps);
  const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  record.tokens_per_second =
      double(train_batches_.tokens_per_batch() * options_.grad_accum_steps) / std::max(seconds, 1e-9);
  return record;
}

double Trainer::evaluate() {
  BYTEGRAD_CHECK(eval_batches_.has_value(), "trainer: no held-out tokens to evaluate on");
  NoGradGuard no_grad;
  model_.module().eval();
  eval_batches_->set_position(0);
  double total = 0;
  for (int64_t i = 0; i < options_.eval_batches; ++i) {
    const TokenBatch batch = eval_batches_->next();
    total += nn::cross_entropy(model_.forward(batch.inputs), batch.targets).item<float>();
  }
  model_.module().train();
  return total / double(std::max<int64_t>(1, options_.eval_batches));
}

std::vector<int64_t> Trainer::sample(const std::vector<int64_t>& prompt) {
  return sample_tokens(model_, prompt, options_.sample_tokens, options_.sample_temperature,
                       options_.seed * 1000003 + uint64_t(step_));
}

MetricsRecord Trainer::run(const std::vector<int64_t>& prompt, MetricsLog* log, const TrainerCallbacks& callbacks) {
  const auto due = [&](int64_t interval) { return interval > 0 && (step_ % interval == 0 || step_ == options_.steps); };
  const int64_t first_step = step_;
  const auto start = std::chrono::steady_clock::now();
  MetricsRecord record;
  while (step_ < options_.steps) {
    record = train_step();
    if (due(options_.eval_interval) && eval_batches_) record.eval_loss = evaluate();
    if (log) log->write(record);
    if (callbacks.on_step) {
      const double elapsed = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
      callbacks.on_step(record, elapsed / double(step_ - first_step) * double(options_.steps - step_));
    }
    if (due(options_.sample_interval) && callbacks.on_sample) callbacks.on_sample(step_, sample(prompt));
    if (due(options_.checkpoint_interval) && callbacks.on_checkpoint) callbacks.on_checkpoint(step_);
  }
  return record;
}

}  // namespace bytegrad::train
