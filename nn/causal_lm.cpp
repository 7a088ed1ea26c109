#include "nn/causal_lm.h"

#include "nn/document_mask.h"
#include "nn/module_scope.h"
#include "tensor/ops.h"

namespace bytegrad::nn {

CausalLM::CausalLM(const ModelConfig& config, const std::string& family)
    : config_(config), family_(family) {
  config_.validate(family + " config");
}

Tensor CausalLM::forward(const Tensor& ids, int64_t start_pos, KVCache* cache) const {
  const ModuleScope scope(this);
  BYTEGRAD_CHECK(ids.dim() == 2 && ids.dtype() == kInt64 && ids.size(1) > 0, family_, ": ids ",
                 shape_str(ids.shape()), " (", ids.dtype(), ") must be int64 [batch, tokens]");
  return head(hidden_states(embed(ids), start_pos, cache));
}

Tensor CausalLM::forward_embeds(const Tensor& inputs_embeds, int64_t start_pos, KVCache* cache) const {
  return head(hidden_states(inputs_embeds, start_pos, cache));
}

Tensor CausalLM::hidden_states(const Tensor& inputs_embeds, int64_t start_pos, KVCache* cache) const {
  const ModuleScope scope(this);
  BYTEGRAD_CHECK(inputs_embeds.dim() == 3 && inputs_embeds.size(1) > 0 &&
                     inputs_embeds.size(2) == config_.hidden_size && is_floating(inputs_embeds.dtype()),
                 family_, ": inputs_embeds ", shape_str(inputs_embeds.shape()), " (", inputs_embeds.dtype(),
                 ") must be floating [batch, tokens, ", config_.hidden_size, "]");
  const int64_t tokens = inputs_embeds.size(1);
  BYTEGRAD_CHECK(start_pos >= 0 && start_pos + tokens <= config_.max_position_embeddings, family_,
                 ": positions ", start_pos, "..", start_pos + tokens - 1, " run past max_position_embeddings ",
                 config_.max_position_embeddings);
  if (cache) {
    BYTEGRAD_CHECK(int64_t(cache->layers.size()) == config_.num_hidden_layers, family_, ": the cache has ",
                   cache->layers.size(), " layers, the model ", config_.num_hidden_layers);
    BYTEGRAD_CHECK(cache->length == start_pos, family_, ": start_pos ", start_pos,
                   " must equal the cached length ", cache->length);
    cache->check_room(family_.c_str(), tokens);
  }
  const Tensor hidden = decode(inputs_embeds, start_pos, cache);
  if (cache) cache->length += tokens;
  return hidden;
}

Tensor CausalLM::hidden_states_packed(const Tensor& inputs_embeds, const Tensor& position_ids) const {
  const ModuleScope scope(this);
  BYTEGRAD_CHECK(inputs_embeds.dim() == 3 && inputs_embeds.size(1) > 0 &&
                     inputs_embeds.size(2) == config_.hidden_size && is_floating(inputs_embeds.dtype()),
                 family_, ": inputs_embeds ", shape_str(inputs_embeds.shape()), " (", inputs_embeds.dtype(),
                 ") must be floating [batch, tokens, ", config_.hidden_size, "]");
  BYTEGRAD_CHECK(position_ids.dim() == 2 && position_ids.dtype() == kInt64 &&
                     position_ids.size(0) == inputs_embeds.size(0) && position_ids.size(1) == inputs_embeds.size(1),
                 family_, ": position_ids ", shape_str(position_ids.shape()), " (", position_ids.dtype(),
                 ") must be int64 [", inputs_embeds.size(0), ", ", inputs_embeds.size(1), "]");
  ops::check_ids_below(family_.c_str(), "position_ids", position_ids, config_.max_position_embeddings);
  return decode_packed(inputs_embeds, position_ids.to(inputs_embeds.device()), document_causal_mask(position_ids).to(inputs_embeds.device()));
}

Tensor CausalLM::decode_packed(const Tensor&, const Tensor&, const Tensor&) const {
  throw Error(concat(family_, ": packed rows (explicit position ids with document masking) are not supported"));
}

}  // namespace bytegrad::nn
