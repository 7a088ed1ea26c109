// What every causal language model's forward(ids, start_pos, cache) shares: the argument checks.
#pragma once

#include "nn/attention.h"
#include "nn/config.h"

namespace bytegrad::nn {

// Throws Error naming `model` unless ids is int64 [B, T] with T >= 1, positions start_pos ..
// start_pos + T - 1 fit in max_position_embeddings, and a given cache has one entry per layer
// and holds exactly start_pos tokens.
void check_causal_lm_inputs(const char* model, const Tensor& ids, int64_t start_pos,
                            const KVCache* cache, const ModelConfig& config);

}  // namespace bytegrad::nn
