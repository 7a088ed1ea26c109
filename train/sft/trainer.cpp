#include "train/sft/trainer.h"

#include <algorithm>
#include <chrono>

#include "base/error.h"
#include "base/process_memory.h"
#include "tensor/creation.h"
#include "train/training_step.h"

namespace bytegrad::train {

SftBatches::SftBatches(std::vector<SftExample> examples, int64_t batch_size, tokenizer::TokenId eos, uint64_t seed)
    : examples_(std::move(examples)), batch_size_(batch_size), eos_(eos), generator_(seed) {
  BYTEGRAD_CHECK(!examples_.empty(), "sft: no training examples");
  BYTEGRAD_CHECK(batch_size_ > 0, "sft: batch_size must be positive, got ", batch_size_);
  reshuffle();
}

void SftBatches::reshuffle() {
  order_ = randperm(int64_t(examples_.size()), {DType::Int64, kCPU}, &generator_).to_vector<int64_t>();
  position_ = 0;
}

SftBatch SftBatches::next() {
  std::vector<SftExample> batch;
  batch.reserve(size_t(batch_size_));
  const int64_t first = rank_ * batch_size_;
  for (int64_t drawn = 0; drawn < world_size_ * batch_size_; ++drawn) {
    if (position_ == order_.size()) {
      reshuffle();
      ++epoch_;
    }
    const size_t example = size_t(order_[position_++]);
    if (drawn >= first && drawn < first + batch_size_) batch.push_back(examples_[example]);
  }
  return collate_sft_examples(batch, eos_);
}

void SftBatches::slice_for_rank(int64_t rank, int64_t world_size) {
  BYTEGRAD_CHECK(world_size > 0 && rank >= 0 && rank < world_size, "sft: rank ", rank, " is not in a world of ",
                 world_size);
  rank_ = rank;
  world_size_ = world_size;
}

SftTrainer::SftTrainer(nn::CausalLM& model, Optimizer& optimizer, LearningRateSchedule schedule, SftBatches batches,
                       nn::CausalLM* reference, SftOptions options)
    : model_(model), optimizer_(optimizer), schedule_(schedule), batches_(std::move(batches)),
      objective_(reference, options.kl_coef), has_reference_(reference != nullptr), options_(options) {
  BYTEGRAD_CHECK(options_.steps > 0, "sft: steps must be positive, got ", options_.steps);
  BYTEGRAD_CHECK(options_.grad_accum_steps > 0, "sft: grad_accum_steps must be positive, got ",
                 options_.grad_accum_steps);
  if (reference) reference->eval();
}

void SftTrainer::distribute(dist::DataParallel& data_parallel) {
  batches_.slice_for_rank(data_parallel.communicator().rank(), data_parallel.communicator().world_size());
  data_parallel_ = &data_parallel;
}

SftMetricsRecord SftTrainer::train_step() {
  const auto start = std::chrono::steady_clock::now();
  const TrainingStepResult step =
      run_training_step(model_, optimizer_, objective_, [&] { return as_batch(batches_.next()); },
                        {options_.grad_accum_steps, options_.grad_clip, schedule_.at(step_), options_.on_nonfinite,
                         step_ + 1, data_parallel_});
  SftMetricsRecord record;
  for (const auto& [name, value] : step.metrics) {
    if (name == "nll") record.nll = value;
    if (name == "response_entropy") record.response_entropy = value;
    if (name == "kl" && has_reference_) record.kl = value;
  }
  MetricsRecord& r = record.training;
  r.skipped = step.skipped;
  r.grad_norm = step.grad_norm;
  r.lr = schedule_.at(step_);
  r.step = ++step_;
  r.loss = step.loss;
  const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  r.tokens_per_second = double(step.tokens) / std::max(seconds, 1e-9);
  r.resident_mib = resident_mib();
  return record;
}

}  // namespace bytegrad::train
