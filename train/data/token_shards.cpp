#include "train/data/token_shards.h"

#include <glob.h>

#include <algorithm>
#include <cstring>
#include <filesystem>
#include <limits>
#include <vector>

#include "base/error.h"
#include "io/atomic_file.h"

namespace bytegrad::train {
namespace {

constexpr size_t kHeaderBytes = kTokenShardHeaderInts * sizeof(int32_t);

size_t token_bytes(int version) { return version == 1 ? sizeof(uint16_t) : sizeof(uint32_t); }

}  // namespace

void write_token_shard(const std::string& path, std::span<const uint32_t> tokens, int version) {
  BYTEGRAD_CHECK(version == 1 || version == 2, path, ": token shard version must be 1 (uint16) or 2 (uint32), got ",
                 version);
  BYTEGRAD_CHECK(tokens.size() <= size_t(std::numeric_limits<int32_t>::max()), path, ": ",
                 tokens.size(), " tokens exceed the int32 count of the header; split the shard");
  int32_t header[kTokenShardHeaderInts] = {kTokenShardMagic, version, int32_t(tokens.size())};
  io::AtomicFile file(path);
  file.write(header, sizeof(header));
  if (version == 2) {
    file.write(tokens.data(), tokens.size_bytes());
  } else {
    std::vector<uint16_t> narrow(tokens.size());
    for (size_t i = 0; i < tokens.size(); ++i) {
      BYTEGRAD_CHECK(tokens[i] <= std::numeric_limits<uint16_t>::max(), path, ": token ", tokens[i],
                     " at position ", i, " does not fit version 1 (uint16); use version 2");
      narrow[i] = uint16_t(tokens[i]);
    }
    file.write(narrow.data(), narrow.size() * sizeof(uint16_t));
  }
  file.commit();
}

TokenShard::TokenShard(const std::string& path) : file_(std::make_unique<io::MappedFile>(path)) {
  BYTEGRAD_CHECK(file_->size() >= kHeaderBytes, path, ": ", file_->size(),
                 " bytes, shorter than the ", kHeaderBytes, "-byte token shard header");
  int32_t header[3];
  std::memcpy(header, file_->data(), sizeof(header));
  BYTEGRAD_CHECK(header[0] == kTokenShardMagic, path, ": magic ", header[0], ", expected ",
                 kTokenShardMagic, " (not a token shard)");
  BYTEGRAD_CHECK(header[1] == 1 || header[1] == 2, path, ": version ", header[1],
                 ", expected 1 (uint16 tokens) or 2 (uint32 tokens)");
  BYTEGRAD_CHECK(header[2] >= 0, path, ": negative token count ", header[2]);
  version_ = header[1];
  count_ = header[2];
  const size_t expected = kHeaderBytes + size_t(count_) * token_bytes(version_);
  BYTEGRAD_CHECK(file_->size() == expected, path, ": ", file_->size(), " bytes, but the header's ",
                 count_, " tokens of version ", version_, " need ", expected,
                 file_->size() < expected ? " (truncated file)" : " (trailing bytes)");
}

const uint8_t* TokenShard::token_data() const { return file_->data() + kHeaderBytes; }

uint32_t TokenShard::operator[](int64_t index) const {
  const uint8_t* tokens = token_data();
  if (version_ == 1) {
    uint16_t token;
    std::memcpy(&token, tokens + size_t(index) * sizeof(token), sizeof(token));
    return token;
  }
  uint32_t token;
  std::memcpy(&token, tokens + size_t(index) * sizeof(token), sizeof(token));
  return token;
}

std::vector<int64_t> TokenShard::read(int64_t begin, int64_t count) const {
  BYTEGRAD_CHECK(begin >= 0 && count >= 0 && count <= count_ - begin, path(), ": tokens [", begin,
                 ", +", count, ") out of range [0, ", count_, ")");
  std::vector<int64_t> ids(static_cast<size_t>(count));
  for (int64_t i = 0; i < count; ++i) ids[size_t(i)] = (*this)[begin + i];
  return ids;
}

std::vector<std::string> expand_shard_paths(const std::vector<std::string>& patterns, const std::string& source) {
  std::vector<std::string> paths;
  for (const std::string& pattern : patterns) {
    if (pattern.find_first_of("*?[") == std::string::npos) {
      BYTEGRAD_CHECK(std::filesystem::is_regular_file(pattern), source, ": token shard '", pattern, "' does not exist");
      paths.push_back(pattern);
      continue;
    }
    glob_t matches{};
    const int status = glob(pattern.c_str(), 0, nullptr, &matches);  // glob sorts its matches
    std::vector<std::string> found(matches.gl_pathv, matches.gl_pathv + (status == 0 ? matches.gl_pathc : 0));
    globfree(&matches);
    BYTEGRAD_CHECK(!found.empty(), source, ": no token shard matches '", pattern, "'");
    paths.insert(paths.end(), found.begin(), found.end());
  }
  return paths;
}

std::vector<int32_t> read_shard_tokens(const std::vector<std::string>& paths) {
  std::vector<int32_t> tokens;
  for (const std::string& path : paths) {
    const TokenShard shard(path);
    tokens.reserve(tokens.size() + size_t(shard.size()));
    for (int64_t i = 0; i < shard.size(); ++i) {
      const uint32_t token = shard[i];
      BYTEGRAD_CHECK(token <= uint32_t(std::numeric_limits<int32_t>::max()), path, ": token ", token, " at ", i,
                     " does not fit an int32 id");
      tokens.push_back(int32_t(token));
    }
  }
  return tokens;
}

}  // namespace bytegrad::train
