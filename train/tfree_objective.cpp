#include "train/tfree_objective.h"

#include "autograd/functions.h"
#include "nn/tfree.h"

namespace bytegrad::train {

ObjectiveValue TFreeObjective::evaluate(const nn::CausalLM& model, const Batch& batch) const {
  const auto* tfree = dynamic_cast<const nn::TFree*>(&model);
  BYTEGRAD_CHECK(tfree, "TFreeObjective: the model is '", model.model_type(), "', not a T-Free model (\"tfree\")");
  BYTEGRAD_CHECK(batch.words, "TFreeObjective: the batch has no words (Batch::words is null)");
  const WordBatch& words = *batch.words;
  const Tensor embeds = tfree->embed_words(words.trigram_ids, words.bag_offsets, words.batch, words.tokens);
  const Tensor hidden = words.position_ids.defined() ? tfree->hidden_states_packed(embeds, words.position_ids)
                                                     : tfree->hidden_states(embeds);
  const Tensor logits = reshape(tfree->head(hidden), {words.batch * words.tokens, model.config().vocab_size});
  const Device device = logits.device();
  const nn::TFreeConfig& settings = model.config().tfree;
  const Tensor loss = multilabel_bce_with_logits(logits, words.target_ids.to(device), words.target_offsets.to(device),
                                                 words.weights.to(device), settings.loss_pos_weight,
                                                 settings.loss_scale);
  return {loss, {}, settings.loss_scale};
}

}  // namespace bytegrad::train
