// A batch for models whose positions are words given as trigram bags (T-Free), as the
// tokenizer's patterns become tensors: B rows of T word positions, flattened row-major into
// W = B * T positions. Padding positions have no trigrams (they embed to zero) and weight 0.
#pragma once

#include <cstdint>

#include "tensor/tensor.h"

namespace bytegrad::train {

struct WordBatch {
  // Inputs: position w reads the trigrams bag_offsets[w] .. bag_offsets[w + 1] - 1, trigram i
  // the m hashed rows trigram_ids[i] (with multiplicity).
  Tensor trigram_ids;  // int64 [N, m]
  Tensor bag_offsets;  // int64 [W + 1]
  // Targets: the next word's pattern, position w's active rows being
  // target_ids[target_offsets[w] .. target_offsets[w + 1] - 1] (compressed sparse rows).
  Tensor target_ids;      // int64 [nnz]
  Tensor target_offsets;  // int64 [W + 1]
  Tensor weights;         // float32 [W]: 1 in pretraining, 0/1 per segment in fine-tuning, 0 on padding
  // Packed rows: positions restarting at 0 for each document, attention kept inside documents.
  // Undefined: every row is one sequence at positions 0 .. T - 1.
  Tensor position_ids;  // int64 [B, T]
  int64_t batch = 0;    // B
  int64_t tokens = 0;   // T, word positions per row
};

}  // namespace bytegrad::train
