// Where a training loop's micro-batches come from: packed token windows for token models
// (train/data/token_stream.h), packed word windows for T-Free (train/tfree/word_batches.h).
// A source's read position is all the state it has, so that a checkpoint records it and a
// resumed run reads the same batches the uninterrupted run would have.
#pragma once

#include <cstdint>

#include "base/error.h"
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
  // Data-parallel training: from now on next() returns only this rank's share of a global batch
  // of world_size batches (the rows rank * B .. (rank + 1) * B - 1 of world_size * B rows) and
  // advances the position past the whole global batch, so that the ranks together read what
  // one process with world_size times the batch would, and the position stays the same on every
  // rank. Sources that cannot be split throw Error for a world of more than one.
  virtual void slice_for_rank(int64_t rank, int64_t world_size) {
    BYTEGRAD_CHECK(world_size == 1, "this batch source cannot be split across ", world_size, " ranks");
  }
};

}  // namespace bytegrad::train
