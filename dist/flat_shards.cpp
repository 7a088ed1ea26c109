#include "dist/flat_shards.h"

#include <algorithm>

#include "tensor/creation.h"
#include "tensor/views.h"

namespace bytegrad::dist {
namespace {

Tensor flat_part(const Tensor& tensor, int64_t offset, int64_t length) {
  return ops::narrow(ops::view(tensor, {tensor.numel()}), 0, offset, length);
}

}  // namespace

std::vector<int64_t> numels_of(const std::vector<Tensor>& tensors) {
  std::vector<int64_t> numels;
  for (const Tensor& tensor : tensors) numels.push_back(tensor.numel());
  return numels;
}

FlatShards::FlatShards(const std::vector<int64_t>& numels, int rank, int world_size)
    : numels_(numels), rank_(rank), world_size_(world_size) {
  BYTEGRAD_CHECK(world_size > 0 && rank >= 0 && rank < world_size, "flat shards: rank ", rank,
                 " is not in a world of ", world_size);
  for (int64_t numel : numels_) total_ += numel;
  shard_size_ = (total_ + world_size - 1) / world_size;
  BYTEGRAD_CHECK(shard_size_ * (world_size - 1) < total_, "flat shards: ", total_, " elements are too few for ",
                 world_size, " ranks to own a shard each");
  const int64_t begin = rank * shard_size_, end = std::min(total_, begin + shard_size_);
  int64_t start = 0;
  for (size_t i = 0; i < numels_.size(); ++i) {
    const int64_t from = std::max(start, begin), to = std::min(start + numels_[i], end);
    if (from < to) pieces_.push_back({i, from - start, from - begin, to - from});
    start += numels_[i];
  }
}

Tensor FlatShards::pack(const std::vector<Tensor>& tensors) const {
  BYTEGRAD_CHECK(tensors.size() == numels_.size(), "flat shards: ", tensors.size(), " tensors, the layout has ",
                 numels_.size());
  const Tensor shard = zeros({shard_size_}, {kFloat32, tensors.empty() ? kCPU : tensors.front().device()});
  for (const ShardPiece& piece : pieces_)
    ops::copy_(ops::narrow(shard, 0, piece.shard_offset, piece.length),
               flat_part(tensors[piece.tensor], piece.tensor_offset, piece.length));
  return shard;
}

void FlatShards::all_gather(Communicator& world, const Tensor& shard, const std::vector<Tensor>& tensors) const {
  BYTEGRAD_CHECK(tensors.size() == numels_.size(), "flat shards: ", tensors.size(), " tensors, the layout has ",
                 numels_.size());
  const Tensor flat = empty({shard_size_ * world_size_}, {kFloat32, shard.device()});
  world.all_gather(shard, flat);
  int64_t start = 0;
  for (size_t i = 0; i < tensors.size(); ++i) {
    BYTEGRAD_CHECK(tensors[i].numel() == numels_[i], "flat shards: tensor ", i, " has ", tensors[i].numel(),
                   " elements, the layout ", numels_[i]);
    ops::copy_(ops::view(tensors[i], {numels_[i]}), ops::narrow(flat, 0, start, numels_[i]));
    start += numels_[i];
  }
}

}  // namespace bytegrad::dist
