#include "nn/soft_embedding_lm.h"

#include <limits>

#include "autograd/functions.h"
#include "base/error.h"
#include "tensor/creation.h"

namespace bytegrad::nn {
namespace {

ModelConfig with_rows(const CausalLM& host, const Tensor& table) {
  const ModelConfig& config = host.config();
  BYTEGRAD_CHECK(table.dim() == 2 && table.size(0) >= config.vocab_size && table.size(1) == config.hidden_size &&
                     is_floating(table.dtype()),
                 "SoftEmbeddingLM: table ", shape_str(table.shape()), " (", table.dtype(),
                 ") must be floating [rows >= ", config.vocab_size, ", ", config.hidden_size, "] for the host");
  ModelConfig widened = config;
  widened.vocab_size = table.size(0);
  return widened;
}

}  // namespace

SoftEmbeddingLM::SoftEmbeddingLM(const CausalLM& host, Tensor table)
    : CausalLM(with_rows(host, table), "SoftEmbeddingLM"), host_(host), table_(std::move(table)) {}

Tensor SoftEmbeddingLM::embed(const Tensor& ids) const { return embedding(table_, ids); }

Tensor SoftEmbeddingLM::head(const Tensor& hidden) const {
  const Tensor logits = host_.head(hidden);
  const int64_t extra = config().vocab_size - host_.config().vocab_size;
  if (extra == 0) return logits;
  Shape shape = logits.shape();
  shape.back() = extra;
  return cat({logits, full(shape, -std::numeric_limits<double>::infinity(), {logits.dtype(), logits.device()})}, -1);
}

Tensor SoftEmbeddingLM::decode(const Tensor& inputs_embeds, int64_t start_pos, KVCache* cache) const {
  // The host's stack without its hidden_states, which would advance the cache a second time.
  return decode_of(host_, inputs_embeds, start_pos, cache);
}

Tensor SoftEmbeddingLM::decode_packed(const Tensor& inputs_embeds, const Tensor& position_ids,
                                      const Tensor& blocked) const {
  return decode_packed_of(host_, inputs_embeds, position_ids, blocked);
}

}  // namespace bytegrad::nn
