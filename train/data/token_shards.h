// Token shards in llm.c's layout (also read by nanoGPT-style loaders):
//   header  256 little-endian int32: [0] magic 20240520, [1] version, [2] token count, rest 0
//   tokens  `count` little-endian uint16 (version 1) or uint32 (version 2)
// Version 1 suits vocabularies up to 65536 tokens (GPT-2's); version 2 larger ones.
#pragma once

#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <vector>

#include "io/mapped_file.h"

namespace bytegrad::train {

constexpr int32_t kTokenShardMagic = 20240520;
constexpr int kTokenShardHeaderInts = 256;

// Writes `tokens` to `path` atomically in `version` 1 (uint16) or 2 (uint32). Throws Error
// naming the path for another version, a token that does not fit version 1, more tokens than
// the int32 count can hold, or a failed write.
void write_token_shard(const std::string& path, std::span<const uint32_t> tokens, int version);

// A shard read in place through mmap. The constructor validates the header (magic, version,
// count) and that the file holds exactly the header plus `count` tokens, throwing Error naming
// the file and the problem otherwise.
class TokenShard {
 public:
  explicit TokenShard(const std::string& path);

  int version() const { return version_; }
  int64_t size() const { return count_; }
  // Token `index` (0 <= index < size(); unchecked, this sits in the data loader's inner loop).
  uint32_t operator[](int64_t index) const;
  // Tokens [begin, begin + count) as int64 ids (Error when out of range).
  std::vector<int64_t> read(int64_t begin, int64_t count) const;
  const std::string& path() const { return file_->path(); }
  // The size() tokens' little-endian bytes where they lie in the mapped file.
  const uint8_t* token_data() const;

 private:
  std::unique_ptr<io::MappedFile> file_;
  int version_ = 0;
  int64_t count_ = 0;
};

// The shard files `patterns` name: each a path, or a glob ("data/train_*.bin") expanded in
// sorted order. Throws Error naming `source` and the pattern when one matches no file.
std::vector<std::string> expand_shard_paths(const std::vector<std::string>& patterns, const std::string& source);

// The tokens of `paths`' shards, one after another, as int32 ids (a training stream held in
// memory). Throws Error naming the shard for a bad file or a token outside int32.
std::vector<int32_t> read_shard_tokens(const std::vector<std::string>& paths);

}  // namespace bytegrad::train
