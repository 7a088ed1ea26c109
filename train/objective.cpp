#include "train/objective.h"

#include "nn/loss.h"

namespace bytegrad::train {

ObjectiveValue NextTokenCrossEntropy::evaluate(const nn::CausalLM& model, const Batch& batch) const {
  return {nn::cross_entropy(model.forward(batch.inputs), batch.targets), {}};
}

}  // namespace bytegrad::train
