// How a list of tensors, laid end to end as one flat vector of P elements, splits into
// world_size equal shards of S = ceil(P / world_size) elements, the last one padded: the layout
// in which ZeRO (and llm.c) shard optimizer state and parameters. Rank r owns elements
// [r * S, (r + 1) * S); a tensor may straddle two or more shards.
//
//   FlatShards shards(numels_of(parameters), world.rank(), world.world_size());
//   for (const ShardPiece& piece : shards.pieces()) ...   // the parts this rank owns
//   shards.all_gather(world, own_shard, parameters);      // every rank's parts into every tensor
#pragma once

#include <cstdint>
#include <vector>

#include "dist/communicator.h"

namespace bytegrad::dist {

// A part of one tensor that lies in this rank's shard.
struct ShardPiece {
  size_t tensor;          // index into the list
  int64_t tensor_offset;  // first element of the part within the (flattened) tensor
  int64_t shard_offset;   // where it lies within the shard
  int64_t length;
};

class FlatShards {
 public:
  // Throws Error when the rank is outside the world, or a rank would own no element (fewer
  // elements than ranks can be sharded by no one).
  FlatShards(const std::vector<int64_t>& numels, int rank, int world_size);

  int64_t total() const { return total_; }            // P
  int64_t shard_size() const { return shard_size_; }  // S
  int world_size() const { return world_size_; }
  // This rank's parts, in flat order.
  const std::vector<ShardPiece>& pieces() const { return pieces_; }

  // This rank's shard of `tensors` (contiguous float32, of the numels given): S elements, the
  // padding zero.
  Tensor pack(const std::vector<Tensor>& tensors) const;
  // Every rank passes its shard; every tensor of every rank then holds the values of the
  // shards that cover it.
  void all_gather(Communicator& world, const Tensor& shard, const std::vector<Tensor>& tensors) const;

 private:
  std::vector<int64_t> numels_;
  int64_t total_ = 0, shard_size_ = 0;
  int rank_, world_size_;
  std::vector<ShardPiece> pieces_;
};

std::vector<int64_t> numels_of(const std::vector<Tensor>& tensors);

}  // namespace bytegrad::dist
