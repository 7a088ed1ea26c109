// Where a training loop's micro-batches come from: packed token windows for token models
// (train/data/token_stream.h), packed word windows for T-Free (train/tfree/word_batches.h).
// A source's read position is all the state it has, so that a checkpoint records it and a
// resumed run reads the same batches the uninterrupted run would have.
#pragma once

#include <cstdint>

#include "train/objective.h"

namespace bytegrad::train {

class BatchSource {
 public:
  virtual ~BatchSource() = default;
  // The batch at the position, advancing it (wrapping around at the end of the data).
  virtual Batch next() = 0;
  virtual int64_t position() const = 0;
  // Throws Error when `position` lies outside the data.
  virtual void set_position(int64_t position) = 0;
};

}  // namespace bytegrad::train
