// TokenBatches read straight from a token source (mapped shards, an encoded buffer, a sub-range
// of either) give exactly the batches of a plain reference over the same stream held in a
// vector: across shard boundaries, through wrap-around, and after a resume from a saved position.
#include <doctest/doctest.h>

#include <numeric>
#include <string>
#include <vector>

#include "tests/scratch_directory.h"
#include "tests/test_util.h"
#include "train/data/token_shards.h"
#include "train/data/token_stream.h"

namespace bytegrad::train {
namespace {

using bytegrad::testing::error_of;
using namespace bytegrad::testing;

// The reference: windows of seq_len + 1 tokens at position p, p + seq_len, ..., restarting at 0
// when a window would run past the end; inputs and next-token targets as int64.
struct ReferenceBatches {
  std::vector<int32_t> tokens;
  int64_t batch_size, seq_len, position = 0;

  std::pair<std::vector<int64_t>, std::vector<int64_t>> next() {
    std::vector<int64_t> inputs, targets;
    for (int64_t b = 0; b < batch_size; ++b) {
      if (position + seq_len + 1 > int64_t(tokens.size())) position = 0;
      for (int64_t t = 0; t < seq_len; ++t) {
        inputs.push_back(tokens[size_t(position + t)]);
        targets.push_back(tokens[size_t(position + t + 1)]);
      }
      position += seq_len;
    }
    return {inputs, targets};
  }
};

// 0, 1, 2, ... with large ids mixed in, so that a uint16/uint32 mix-up would show.
std::vector<int32_t> stream(int32_t count, int32_t first = 0) {
  std::vector<int32_t> tokens(static_cast<size_t>(count));
  for (int32_t i = 0; i < count; ++i) tokens[size_t(i)] = (first + i) % 7 == 3 ? 60000 + first + i : first + i;
  return tokens;
}

std::vector<uint32_t> unsigned_ids(const std::vector<int32_t>& tokens) { return {tokens.begin(), tokens.end()}; }

// Checks `count` batches of `batches` against the reference, comparing positions after each.
void expect_same_batches(TokenBatches& batches, ReferenceBatches& reference, int count) {
  for (int i = 0; i < count; ++i) {
    const TokenBatch batch = batches.next_tokens();
    const auto [inputs, targets] = reference.next();
    INFO("batch " << i);
    CHECK(batch.inputs.dtype() == DType::Int64);
    CHECK(batch.inputs.shape() == Shape{reference.batch_size, reference.seq_len});
    CHECK(batch.inputs.to_vector<int64_t>() == inputs);
    CHECK(batch.targets.to_vector<int64_t>() == targets);
    CHECK(batches.position() == reference.position);
  }
}

// Three shards of versions 1, 2 and 1 holding stream(100) in order; their paths.
std::vector<std::string> write_three_shards(const std::string& name) {
  const std::string directory = scratch_directory(name);
  const std::vector<int32_t> tokens = stream(100);
  const std::vector<std::pair<int, int>> parts = {{0, 37}, {37, 81}, {81, 100}};
  std::vector<std::string> paths;
  for (size_t i = 0; i < parts.size(); ++i) {
    const auto [begin, end] = parts[i];
    paths.push_back(directory + "/train_00" + std::to_string(i) + ".bin");
    write_token_shard(paths.back(), unsigned_ids({tokens.begin() + begin, tokens.begin() + end}), i == 1 ? 2 : 1);
  }
  return paths;
}

}  // namespace

TEST_CASE("token batches from an encoded buffer equal the reference, through wrap-around") {
  TokenBatches batches(stream(50), 3, 7, "train");
  ReferenceBatches reference{stream(50), 3, 7};
  expect_same_batches(batches, reference, 9);  // 9 x 21 tokens: the 50-token stream wraps several times
}

TEST_CASE("token batches from mapped shards of both versions equal the reference across shard boundaries") {
  TokenBatches batches(TokenSource::from_shards(write_three_shards("batches_shards")), 4, 9, "train");
  ReferenceBatches reference{stream(100), 4, 9};
  expect_same_batches(batches, reference, 8);
}

TEST_CASE("token batches over a held-out sub-range of the shards read only that range") {
  const TokenSource all = TokenSource::from_shards(write_three_shards("batches_split"));
  const std::vector<int32_t> tokens = stream(100);
  TokenBatches train(all.slice(0, 70), 2, 5, "train");
  TokenBatches eval(all.slice(70, 100), 2, 5, "eval");
  ReferenceBatches train_reference{{tokens.begin(), tokens.begin() + 70}, 2, 5};
  ReferenceBatches eval_reference{{tokens.begin() + 70, tokens.end()}, 2, 5};
  expect_same_batches(train, train_reference, 10);
  expect_same_batches(eval, eval_reference, 6);
}

TEST_CASE("token batches resumed from a saved position continue the same sequence") {
  const std::vector<std::string> paths = write_three_shards("batches_resume");
  TokenBatches first(TokenSource::from_shards(paths), 3, 8, "train");
  for (int i = 0; i < 5; ++i) first.next();
  const int64_t saved = first.position();

  TokenBatches resumed(TokenSource::from_shards(paths), 3, 8, "train");
  resumed.set_position(saved);
  ReferenceBatches reference{stream(100), 3, 8};
  for (int i = 0; i < 5; ++i) reference.next();
  REQUIRE(reference.position == saved);
  expect_same_batches(resumed, reference, 6);
  CHECK(error_of([&] { resumed.set_position(100); }).find("position 100 outside the stream of 100 tokens") !=
        std::string::npos);
}

TEST_CASE("a token source reads, finds and slices across pieces, and names a range it does not hold") {
  const TokenSource source = TokenSource::from_shards(write_three_shards("source_reads"));
  const std::vector<int32_t> tokens = stream(100);
  REQUIRE(source.size() == 100);
  std::vector<int64_t> ids(30);
  source.read(30, 30, ids.data());  // spans shards 0, 1 and the boundary between them
  CHECK(ids == std::vector<int64_t>(tokens.begin() + 30, tokens.begin() + 60));
  CHECK(source.find(60000 + 80, 0) == 80);
  CHECK(source.find(60000 + 80, 81) == 100);
  CHECK(source.slice(35, 90).slice(5, 50).at(0) == tokens[40]);
  int64_t sum = 0;
  source.for_each_chunk([&](std::span<const int64_t> chunk) { sum = std::accumulate(chunk.begin(), chunk.end(), sum); });
  CHECK(sum == std::accumulate(tokens.begin(), tokens.end(), int64_t(0)));
  CHECK(error_of([&] { source.read(95, 6, ids.data()); }).find("tokens [95, +6) out of range [0, 100)") !=
        std::string::npos);
  CHECK(error_of([&] { TokenBatches(source.slice(0, 8), 1, 8, "eval"); }).find("eval: 8 tokens are too few") !=
        std::string::npos);
}

}  // namespace bytegrad::train
