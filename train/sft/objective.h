// Fine-tuning's objective (seed 003): the mean negative log-likelihood of the response tokens
// only (the batch's mask), plus kl_coef * KL(model || reference) over the same tokens when a
// frozen reference model is given; the response entropy is reported beside it.
#pragma once

#include "train/objective.h"
#include "train/sft/batch.h"

namespace bytegrad::train {

// The Batch an SftBatch is: input_ids -> inputs, labels -> targets, response_mask -> mask.
Batch as_batch(const SftBatch& batch);

class SftObjective final : public Objective {
 public:
  // `reference` (optional) is a frozen copy of the starting model that must outlive the
  // objective: it runs without gradients. Throws Error when kl_coef is negative.
  explicit SftObjective(const nn::CausalLM* reference = nullptr, double kl_coef = 0.0);

  // The loss nll + kl_coef * kl; metrics "nll", "response_entropy" and, with a reference, "kl".
  // Throws Error for a batch without response tokens.
  ObjectiveValue evaluate(const nn::CausalLM& model, const Batch& batch) const override;

 private:
  const nn::CausalLM* reference_;
  double kl_coef_;
};

}  // namespace bytegrad::train
