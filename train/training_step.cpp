#include "train/training_step.h"

#include <cmath>

#include "autograd/backward.h"
#include "autograd/functions.h"
#include "train/grad_clip.h"

namespace bytegrad::train {

TrainingStepResult run_training_step(nn::CausalLM& model, Optimizer& optimizer, const Objective& objective,
                                     const std::function<Batch()>& next_batch, const TrainingStepSettings& settings) {
  BYTEGRAD_CHECK(settings.micro_batches > 0, "training step: micro_batches must be positive, got ",
                 settings.micro_batches);
  model.train();
  optimizer.zero_grad();
  TrainingStepResult result;
  const double micro_batches = double(settings.micro_batches);
  for (int64_t micro = 0; micro < settings.micro_batches; ++micro) {
    const Batch batch = next_batch();
    const ObjectiveValue value = objective.evaluate(model, batch);
    result.loss += value.loss.item<float>() / value.loss_scale;
    result.tokens += batch.tokens;
    if (result.metrics.empty()) result.metrics.assign(value.metrics.size(), {"", 0.0});
    for (size_t i = 0; i < value.metrics.size(); ++i) {
      result.metrics[i].first = value.metrics[i].first;
      result.metrics[i].second += value.metrics[i].second;
    }
    if (settings.data_parallel) settings.data_parallel->set_averaging(micro + 1 == settings.micro_batches);
    backward(settings.micro_batches == 1 ? value.loss : div(value.loss, micro_batches));
  }
  result.loss /= micro_batches;
  for (auto& [name, total] : result.metrics) total /= micro_batches;
  if (settings.data_parallel) {
    // Every rank's loss is its own slice's mean, and the slices are of one size: their mean is
    // the global batch's loss, as the gradients' mean is its gradient.
    settings.data_parallel->finish();
    dist::Communicator& world = settings.data_parallel->communicator();
    result.loss = world.average(result.loss);
    for (auto& [name, value] : result.metrics) value = world.average(value);
    result.tokens = world.sum(result.tokens);
  }
  result.grad_norm = clip_grad_norm(model.parameters(), settings.grad_clip);
  if (!std::isfinite(result.loss) || !std::isfinite(result.grad_norm)) {
    if (settings.on_nonfinite == NonFinitePolicy::Stop)
      throw NonFiniteStepError(settings.step, result.loss, result.grad_norm);
    optimizer.zero_grad();
    result.skipped = true;
    return result;
  }
  optimizer.set_learning_rate(settings.learning_rate);
  optimizer.step();
  return result;
}

}  // namespace bytegrad::train
