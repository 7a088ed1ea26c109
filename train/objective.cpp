#include "train/objective.h"

#include "nn/loss.h"
#include "train/word_batch.h"

namespace bytegrad::train {

namespace {

Tensor moved(const Tensor& t, Device device) { return t.defined() ? t.to(device) : t; }

}  // namespace

Batch on_device(const Batch& batch, Device device) {
  if (device.is_cpu() && (!batch.inputs.defined() || batch.inputs.device().is_cpu())) return batch;
  Batch placed = batch;
  placed.inputs = moved(batch.inputs, device);
  placed.targets = moved(batch.targets, device);
  placed.mask = moved(batch.mask, device);
  if (batch.words) {
    auto words = std::make_shared<WordBatch>(*batch.words);
    for (Tensor* t : {&words->trigram_ids, &words->bag_offsets, &words->target_ids, &words->target_offsets,
                      &words->weights, &words->position_ids})
      *t = moved(*t, device);
    placed.words = std::move(words);
  }
  return placed;
}

ObjectiveValue NextTokenCrossEntropy::evaluate(const nn::CausalLM& model, const Batch& batch) const {
  return {nn::cross_entropy(model.forward(batch.inputs), batch.targets), {}};
}

}  // namespace bytegrad::train
