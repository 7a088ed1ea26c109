#include "nn/causal_lm.h"

namespace bytegrad::nn {

void check_causal_lm_inputs(const char* model, const Tensor& ids, int64_t start_pos,
                            const KVCache* cache, const ModelConfig& config) {
  BYTEGRAD_CHECK(ids.dim() == 2 && ids.dtype() == kInt64 && ids.size(1) > 0, model, ": ids ",
                 shape_str(ids.shape()), " (", ids.dtype(), ") must be int64 [batch, tokens]");
  BYTEGRAD_CHECK(start_pos >= 0 && start_pos + ids.size(1) <= config.max_position_embeddings,
                 model, ": positions ", start_pos, "..", start_pos + ids.size(1) - 1,
                 " run past max_position_embeddings ", config.max_position_embeddings);
  if (cache == nullptr) return;
  BYTEGRAD_CHECK(int64_t(cache->layers.size()) == config.num_hidden_layers, model,
                 ": the cache has ", cache->layers.size(), " layers, the model ",
                 config.num_hidden_layers);
  BYTEGRAD_CHECK(cache->length == start_pos, model, ": start_pos ", start_pos,
                 " must equal the cached length ", cache->length);
}

}  // namespace bytegrad::nn
