#include "train/trainer.h"

#include <chrono>

#include "autograd/grad_mode.h"
#include "base/process_memory.h"
#include "infer/generate.h"
#include "train/training_step.h"

namespace bytegrad::train {

Trainer::Trainer(nn::CausalLM& model, Optimizer& optimizer, LearningRateSchedule schedule,
                 std::unique_ptr<BatchSource> train_batches, std::unique_ptr<BatchSource> eval_batches,
                 Generator& model_generator, TrainerOptions options, std::shared_ptr<const Objective> objective)
    : model_(model), optimizer_(optimizer), schedule_(schedule), train_batches_(std::move(train_batches)),
      eval_batches_(std::move(eval_batches)), model_generator_(model_generator), options_(options),
      objective_(std::move(objective)) {
  BYTEGRAD_CHECK(train_batches_ != nullptr, "trainer: no training batches");
  BYTEGRAD_CHECK(options_.steps > 0, "trainer: steps must be positive, got ", options_.steps);
  BYTEGRAD_CHECK(options_.grad_accum_steps > 0, "trainer: grad_accum_steps must be positive, got ",
                 options_.grad_accum_steps);
  BYTEGRAD_CHECK(objective_ != nullptr, "trainer: no objective");
}

Trainer::Trainer(nn::CausalLM& model, Optimizer& optimizer, LearningRateSchedule schedule, TokenBatches train_batches,
                 std::optional<TokenBatches> eval_batches, Generator& model_generator, TrainerOptions options,
                 std::shared_ptr<const Objective> objective)
    : Trainer(model, optimizer, schedule, std::make_unique<TokenBatches>(std::move(train_batches)),
              eval_batches ? std::make_unique<TokenBatches>(std::move(*eval_batches)) : nullptr,
              model_generator, options, std::move(objective)) {}

MetricsRecord Trainer::train_step() {
  const auto start = std::chrono::steady_clock::now();
  const TrainingStepResult step =
      run_training_step(model_, optimizer_, *objective_, [&] { return train_batches_->next(); },
                        {options_.grad_accum_steps, options_.grad_clip, schedule_.at(step_), options_.on_nonfinite,
                         step_ + 1, data_parallel_, zero3_});
  MetricsRecord record;
  record.skipped = step.skipped;
  skipped_steps_ += step.skipped;
  record.grad_norm = step.grad_norm;
  record.lr = schedule_.at(step_);
  ++step_;
  record.step = step_;
  record.loss = step.loss;
  const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  record.tokens_per_second = double(step.tokens) / std::max(seconds, 1e-9);
  record.resident_mib = resident_mib();
  return record;
}

double Trainer::evaluate() {
  BYTEGRAD_CHECK(eval_batches_ != nullptr, "trainer: no held-out data to evaluate on");
  NoGradGuard no_grad;
  model_.eval();
  eval_batches_->set_position(0);
  double total = 0;
  for (int64_t i = 0; i < options_.eval_batches; ++i)
  {
    // As training logs it: without the factor the objective carries for the optimizer.
    const ObjectiveValue value = objective_->evaluate(model_, on_device(eval_batches_->next(), model_.device()));
    total += value.loss.item<float>() / value.loss_scale;
  }
  model_.train();
  const double mean = total / double(std::max<int64_t>(1, options_.eval_batches));
  return communicator() ? communicator()->average(mean) : mean;
}

dist::Communicator* Trainer::communicator() {
  if (data_parallel_) return &data_parallel_->communicator();
  if (zero3_) return &zero3_->communicator();
  return nullptr;
}

void Trainer::distribute(Zero3& zero3) {
  const dist::Communicator& world = zero3.communicator();
  train_batches_->slice_for_rank(world.rank(), world.world_size());
  if (eval_batches_) eval_batches_->slice_for_rank(world.rank(), world.world_size());
  zero3_ = &zero3;
}

void Trainer::distribute(dist::DataParallel& data_parallel) {
  const dist::Communicator& world = data_parallel.communicator();
  train_batches_->slice_for_rank(world.rank(), world.world_size());
  if (eval_batches_) eval_batches_->slice_for_rank(world.rank(), world.world_size());
  data_parallel_ = &data_parallel;
}

std::vector<int64_t> Trainer::sample(const std::vector<int64_t>& prompt) {
  infer::GenerationOptions generation;
  generation.max_gen_len = options_.sample_tokens;
  generation.temperature = options_.sample_temperature;
  generation.top_p = 1.0;  // plain softmax(logits / temperature), as the samples have always been drawn
  generation.seed = options_.seed * 1000003 + uint64_t(step_);
  // A sharded model is gathered once for the whole call, not layer by layer at every token.
  std::optional<Zero3::Gathered> whole;
  if (zero3_) whole.emplace(*zero3_);
  return infer::generate(model_, {prompt}, generation).tokens.front();
}

MetricsRecord Trainer::run(MetricsLog* log, const TrainerCallbacks& callbacks) {
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
    if (due(options_.sample_interval) && callbacks.on_sample) callbacks.on_sample(step_);
    if (due(options_.checkpoint_interval) && callbacks.on_checkpoint) callbacks.on_checkpoint(step_);
  }
  return record;
}

}  // namespace bytegrad::train
