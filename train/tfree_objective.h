// T-Free's training objective: the next word's binary pattern predicted by the multi-label head,
//   loss_scale * mean over (W, V) of weights[w] * BCEWithLogits(z, y, loss_pos_weight),
// with loss_pos_weight and loss_scale from the model's config (nn/config.h's TFreeConfig). The
// value returned carries loss_scale (its gradient is what the original trains with); the loop
// logs loss / loss_scale, as the original does.
#pragma once

#include "train/objective.h"
#include "train/word_batch.h"

namespace bytegrad::train {

class TFreeObjective final : public Objective {
 public:
  // Throws Error when `model` is not a T-Free model (nn/tfree.h) or the batch has no words.
  ObjectiveValue evaluate(const nn::CausalLM& model, const Batch& batch) const override;
};

}  // namespace bytegrad::train
