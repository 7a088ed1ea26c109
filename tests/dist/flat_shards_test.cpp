// The flat-shard layout: P elements of several tensors cut into N shards of ceil(P / N), each
// rank's pieces covering exactly its range, every element owned by exactly one rank.
#include <doctest/doctest.h>

#include "dist/environment.h"
#include "dist/flat_shards.h"
#include "tensor/creation.h"

namespace bytegrad::dist {

TEST_CASE("every element of the tensors lies in exactly one rank's shard") {
  const std::vector<int64_t> numels{5, 1, 7, 3};  // 16 elements over 3 ranks: shards of 6, the last padded by 2
  std::vector<std::vector<int>> owners(numels.size());
  for (size_t i = 0; i < numels.size(); ++i) owners[i].assign(size_t(numels[i]), 0);
  for (int rank = 0; rank < 3; ++rank) {
    const FlatShards shards(numels, rank, 3);
    CHECK(shards.total() == 16);
    CHECK(shards.shard_size() == 6);
    int64_t covered = 0;
    for (const ShardPiece& piece : shards.pieces()) {
      CHECK(piece.shard_offset == covered);  // pieces fill the shard in order, with no gap
      covered += piece.length;
      for (int64_t e = 0; e < piece.length; ++e) ++owners[piece.tensor][size_t(piece.tensor_offset + e)];
    }
    CHECK(covered == (rank < 2 ? 6 : 4));
  }
  for (const auto& tensor : owners)
    for (int count : tensor) CHECK(count == 1);
}

TEST_CASE("a rank's shard packs its pieces and gathers back in one process") {
  const Tensor a = from_vector(std::vector<float>{1, 2, 3}), b = from_vector(std::vector<float>{4, 5}, {1, 2});
  const FlatShards shards(numels_of({a, b}), 0, 1);
  const Tensor shard = shards.pack({a, b});
  CHECK(shard.to_vector<float>() == std::vector<float>{1, 2, 3, 4, 5});
  const Tensor c = zeros({3}), d = zeros({1, 2});
  const std::unique_ptr<Communicator> world = single_process_communicator();
  shards.all_gather(*world, shard, {c, d});
  CHECK(c.to_vector<float>() == std::vector<float>{1, 2, 3});
  CHECK(d.to_vector<float>() == std::vector<float>{4, 5});
}

TEST_CASE("fewer elements than ranks cannot be sharded") {
  CHECK_THROWS_WITH_AS(FlatShards({3}, 0, 4), doctest::Contains("3 elements are too few for 4 ranks"), Error);
}

}  // namespace bytegrad::dist
