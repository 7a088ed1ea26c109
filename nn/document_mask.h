// The attention mask of packed rows. Pretraining packs several documents into one row of
// T positions; each document's position ids restart at 0, and attention must stay inside a
// document, causally, as if it had been run alone (T-Free's reset_attention_mask; the same for a
// BPE baseline, so that both models see the same context).
#pragma once

#include "tensor/tensor.h"

namespace bytegrad::nn {

// position_ids int64 [B, T], where a document starts wherever the position is 0 (and at
// t = 0) -> bool [B, T, T] on the same device, true where query t must not see key s: s > t, or
// s lies in an earlier document than t. As attention() takes `blocked`. Throws Error naming
// the shape or dtype when position_ids is not int64 [B, T].
Tensor document_causal_mask(const Tensor& position_ids);

}  // namespace bytegrad::nn
