#include "train/sft/objective.h"

#include "autograd/grad_mode.h"
#include "base/error.h"
#include "train/sft/loss.h"

namespace bytegrad::train {

Batch as_batch(const SftBatch& batch) {
  return {batch.input_ids, batch.labels, batch.response_mask, batch.input_ids.numel(), batch.response_tokens, nullptr};
}

SftObjective::SftObjective(const nn::CausalLM* reference, double kl_coef) : reference_(reference), kl_coef_(kl_coef) {
  BYTEGRAD_CHECK(kl_coef_ >= 0, "sft: kl_coef must not be negative, got ", kl_coef_);
}

ObjectiveValue SftObjective::evaluate(const nn::CausalLM& model, const Batch& batch) const {
  const SftBatch sft{batch.inputs, batch.targets, batch.mask, batch.counted_tokens};
  Tensor reference_logits;
  if (reference_) {
    NoGradGuard no_grad;
    reference_logits = reference_->forward(batch.inputs);
  }
  const SftMicrobatchLoss loss = sft_microbatch_loss(model.forward(batch.inputs), sft, /*grad_accum_steps=*/1,
                                                     reference_ ? &reference_logits : nullptr, kl_coef_);
  ObjectiveValue value{loss.scaled_loss, {{"nll", loss.nll}, {"response_entropy", loss.entropy}}};
  if (loss.kl) value.metrics.emplace_back("kl", *loss.kl);
  return value;
}

}  // namespace bytegrad::train
