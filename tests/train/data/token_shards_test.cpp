// Token shards in llm.c's layout: both versions round-trip; bad headers and sizes are named.
#include <doctest/doctest.h>

#include <cstring>
#include <string>

#include "tests/scratch_directory.h"
#include "tests/test_util.h"
#include "train/data/token_shards.h"

namespace bytegrad::train {
namespace {

using bytegrad::testing::error_of;
using namespace bytegrad::testing;

const std::vector<uint32_t> kTokens = {50256, 0, 1, 65535, 31373, 42};

int32_t header_int(const std::vector<char>& bytes, int index) {
  int32_t value;
  std::memcpy(&value, bytes.data() + index * 4, 4);
  return value;
}

void set_header_int(std::vector<char>& bytes, int index, int32_t value) {
  std::memcpy(bytes.data() + index * 4, &value, 4);
}

}  // namespace

TEST_CASE("token shards: version 1 stores uint16 tokens after the 256-int header") {
  const std::string path = scratch_directory("shard_v1") + "/train_000000.bin";
  write_token_shard(path, kTokens, 1);
  const std::vector<char> bytes = read_bytes(path);
  CHECK(bytes.size() == 1024 + kTokens.size() * 2);
  CHECK(header_int(bytes, 0) == 20240520);
  CHECK(header_int(bytes, 1) == 1);
  CHECK(header_int(bytes, 2) == int32_t(kTokens.size()));
  CHECK(header_int(bytes, 3) == 0);
  const TokenShard shard(path);
  CHECK(shard.version() == 1);
  REQUIRE(shard.size() == int64_t(kTokens.size()));
  for (size_t i = 0; i < kTokens.size(); ++i) CHECK(shard[int64_t(i)] == kTokens[i]);
  CHECK(shard.read(3, 2) == std::vector<int64_t>{65535, 31373});
}

TEST_CASE("token shards: version 2 stores uint32 tokens for large vocabularies") {
  const std::string path = scratch_directory("shard_v2") + "/train_000000.bin";
  const std::vector<uint32_t> tokens = {128000, 0, 4294967295u, 7};
  write_token_shard(path, tokens, 2);
  CHECK(read_bytes(path).size() == 1024 + tokens.size() * 4);
  const TokenShard shard(path);
  CHECK(shard.version() == 2);
  CHECK(shard.read(0, 4) == std::vector<int64_t>{128000, 0, 4294967295ll, 7});
  CHECK(error_of([&] { shard.read(2, 3); }).find("tokens [2, +3) out of range [0, 4)") !=
        std::string::npos);
}

TEST_CASE("token shards: an empty shard is valid") {
  const std::string path = scratch_directory("shard_empty") + "/empty.bin";
  write_token_shard(path, {}, 2);
  CHECK(TokenShard(path).size() == 0);
}

TEST_CASE("token shards: the writer rejects tokens and versions that do not fit") {
  const std::string directory = scratch_directory("shard_write_errors");
  const std::string path = directory + "/s.bin";
  const std::vector<uint32_t> large = {1, 70000};
  CHECK(error_of([&] { write_token_shard(path, large, 1); })
            .rfind(path + ": token 70000 at position 1 does not fit version 1", 0) == 0);
  CHECK(error_of([&] { write_token_shard(path, large, 3); })
            .rfind(path + ": token shard version must be 1 (uint16) or 2 (uint32), got 3", 0) == 0);
  CHECK(entries(directory).empty());
}

TEST_CASE("token shards: bad headers and sizes are named") {
  const std::string path = scratch_directory("shard_damaged") + "/s.bin";
  write_token_shard(path, kTokens, 1);
  const std::vector<char> good = read_bytes(path);
  auto error_with = [&](const std::vector<char>& bytes) {
    write_bytes(path, bytes);
    const std::string error = error_of([&] { TokenShard shard(path); });
    INFO(error);
    CHECK(error.rfind(path + ": ", 0) == 0);
    return error;
  };
  std::vector<char> bytes = good;
  set_header_int(bytes, 0, 20240521);
  CHECK(error_with(bytes).find("magic 20240521, expected 20240520") != std::string::npos);
  bytes = good;
  set_header_int(bytes, 1, 7);
  CHECK(error_with(bytes).find("version 7, expected 1 (uint16 tokens) or 2") != std::string::npos);
  bytes = good;
  set_header_int(bytes, 2, -3);
  CHECK(error_with(bytes).find("negative token count -3") != std::string::npos);
  bytes = good;
  bytes.pop_back();
  CHECK(error_with(bytes).find("the header's 6 tokens of version 1 need 1036 (truncated file)") !=
        std::string::npos);
  bytes = good;
  bytes.push_back(0);
  CHECK(error_with(bytes).find("(trailing bytes)") != std::string::npos);
  CHECK(error_with(std::vector<char>(100)).find("100 bytes, shorter than the 1024-byte") !=
        std::string::npos);
}

}  // namespace bytegrad::train
