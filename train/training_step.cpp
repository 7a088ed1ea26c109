#include "train/training_step.h"

#include <algorithm>
#include <cmath>

#include "autograd/backward.h"
#include "autograd/functions.h"
#include "train/grad_clip.h"

namespace bytegrad::train {
namespace {

// A loss is its batch's mean over the positions that count, and ranks may count different
// numbers of them (masked responses of different lengths): the mean of the ranks' means would
// then weigh a rank's tokens by how few it has. Scaling rank r's loss (and its metrics) by
// N * counted_r / sum of counted makes the mean over ranks the mean over every counted position
// of the global batch, as one process reading the whole batch computes it.
void weigh_by_counted_tokens(ObjectiveValue& value, const Batch& batch, dist::Communicator& world) {
  // Without a mask every position counts, and every rank's batch has the same shape.
  if (!batch.mask.defined()) return;
  const int64_t total = world.sum(batch.counted_tokens);
  if (total == batch.counted_tokens * world.world_size()) return;  // a weight of 1 (equal counts)
  const double weight = double(batch.counted_tokens) * world.world_size() / double(std::max<int64_t>(total, 1));
  value.loss = mul(value.loss, weight);
  for (auto& [name, metric] : value.metrics) metric *= weight;
}

}  // namespace

TrainingStepResult run_training_step(nn::CausalLM& model, Optimizer& optimizer, const Objective& objective,
                                     const std::function<Batch()>& next_batch, const TrainingStepSettings& settings) {
  BYTEGRAD_CHECK(settings.micro_batches > 0, "training step: micro_batches must be positive, got ",
                 settings.micro_batches);
  model.train();
  optimizer.zero_grad();
  if (settings.zero3) settings.zero3->begin_step();
  dist::Communicator* world = settings.data_parallel ? &settings.data_parallel->communicator()
                              : settings.zero3       ? &settings.zero3->communicator()
                                                     : nullptr;
  TrainingStepResult result;
  const double micro_batches = double(settings.micro_batches);
  for (int64_t micro = 0; micro < settings.micro_batches; ++micro) {
    const Batch batch = on_device(next_batch(), model.device());
    ObjectiveValue value = objective.evaluate(model, batch);
    if (world) weigh_by_counted_tokens(value, batch, *world);
    result.loss += value.loss.item<float>() / value.loss_scale;
    result.tokens += batch.tokens;
    if (result.metrics.empty()) result.metrics.assign(value.metrics.size(), {"", 0.0});
    for (size_t i = 0; i < value.metrics.size(); ++i) {
      result.metrics[i].first = value.metrics[i].first;
      result.metrics[i].second += value.metrics[i].second;
    }
    if (settings.data_parallel) settings.data_parallel->set_averaging(micro + 1 == settings.micro_batches);
    backward(settings.micro_batches == 1 ? value.loss : div(value.loss, micro_batches));
    if (settings.zero3) settings.zero3->finish_backward();
  }
  result.loss /= micro_batches;
  for (auto& [name, total] : result.metrics) total /= micro_batches;
  if (settings.data_parallel) settings.data_parallel->finish();
  if (world) {
    // Every rank's loss is its own slice's mean (weighted by its counted positions): their mean
    // is the global batch's loss, as the gradients' mean is its gradient.
    result.loss = world->average(result.loss);
    for (auto& [name, value] : result.metrics) value = world->average(value);
    result.tokens = world->sum(result.tokens);
  }
  result.grad_norm = settings.zero3 ? settings.zero3->clip_grad_norm(settings.grad_clip)
                                    : clip_grad_norm(model.parameters(), settings.grad_clip);
  if (!std::isfinite(result.loss) || !std::isfinite(result.grad_norm)) {
    if (settings.on_nonfinite == NonFinitePolicy::Stop)
      throw NonFiniteStepError(settings.step, result.loss, result.grad_norm);
    optimizer.zero_grad();
    if (settings.zero3) settings.zero3->begin_step();
    result.skipped = true;
    return result;
  }
  optimizer.set_learning_rate(settings.learning_rate);
  optimizer.step();
  return result;
}

}  // namespace bytegrad::train
