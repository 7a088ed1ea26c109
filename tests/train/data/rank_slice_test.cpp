// Each rank's slice of a global batch: the ranks' rows together are the rows one process reads
// with world_size times the batch, wrap-arounds included, and the position moves the same way.
#include <doctest/doctest.h>

#include <numeric>

#include "tensor/ops.h"
#include "train/data/token_stream.h"

namespace bytegrad::train {

TEST_CASE("the ranks' slices of token batches make up the global batch") {
  std::vector<int32_t> tokens(50);
  std::iota(tokens.begin(), tokens.end(), 0);
  const int64_t world = 3, batch = 2, seq_len = 4;
  TokenBatches global(tokens, world * batch, seq_len, "global");
  std::vector<TokenBatches> ranks;
  for (int64_t r = 0; r < world; ++r) {
    ranks.emplace_back(tokens, batch, seq_len, "rank");
    ranks.back().slice_for_rank(r, world);
  }
  for (int step = 0; step < 5; ++step) {  // 24 tokens a step: wraps around the 50 on the third
    const TokenBatch whole = global.next_tokens();
    std::vector<Tensor> inputs, targets;
    for (TokenBatches& rank : ranks) {
      const TokenBatch part = rank.next_tokens();
      inputs.push_back(part.inputs);
      targets.push_back(part.targets);
      CHECK(rank.position() == global.position());
    }
    CHECK(ops::cat(inputs, 0).to_vector<int64_t>() == whole.inputs.to_vector<int64_t>());
    CHECK(ops::cat(targets, 0).to_vector<int64_t>() == whole.targets.to_vector<int64_t>());
  }
}

TEST_CASE("a rank outside the world is an error") {
  TokenBatches batches(std::vector<int32_t>(20, 1), 2, 4, "train");
  CHECK_THROWS_WITH_AS(batches.slice_for_rank(2, 2), doctest::Contains("rank 2 is not in a world of 2"), Error);
}

}  // namespace bytegrad::train
