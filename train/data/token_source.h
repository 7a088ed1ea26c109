// A stream of token ids read where they lie: one or several pieces of memory laid end to end,
// each of uint16, uint32 or int32 ids. A run's mapped token shards, in order, are one source; the
// buffer a corpus was encoded into is another; a train/held-out split is two sub-ranges of one.
// Nothing is copied until a batch widens the tokens it needs to int64 (TokenBatches), as llm.c's
// data loader reads each batch straight from the file.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <span>
#include <string>
#include <vector>

namespace bytegrad::train {

class TokenSource {
 public:
  TokenSource() = default;  // no tokens
  // The tokens of an encoded buffer, which the source owns from here on (moved, not copied).
  TokenSource(std::vector<int32_t> tokens);  // implicit: a buffer is a source
  // The token shards at `paths` mapped in order (token_shards.h). Throws Error naming a shard
  // that is missing or malformed.
  static TokenSource from_shards(const std::vector<std::string>& paths);

  int64_t size() const { return size_; }
  bool empty() const { return size_ == 0; }

  // Tokens [begin, begin + count) widened to int64 into `out`, across piece boundaries. Throws
  // Error when the range leaves [0, size()).
  void read(int64_t begin, int64_t count, int64_t* out) const;
  // Token `index` as an int64 id (Error outside [0, size())).
  int64_t at(int64_t index) const;
  // Tokens [begin, end), sharing this source's memory (Error unless 0 <= begin <= end <= size()).
  TokenSource slice(int64_t begin, int64_t end) const;
  // The index of the first token equal to `id` at or after `from`; size() when there is none.
  int64_t find(int64_t id, int64_t from) const;
  // Calls visit with consecutive int64 chunks that cover the stream in order: scans of a whole
  // corpus (a vocabulary check, unigram counts) without widening all of it at once.
  void for_each_chunk(const std::function<void(std::span<const int64_t>)>& visit) const;

 private:
  enum class Width { kUint16, kUint32, kInt32 };
  // A run of `size` ids at `data`; `owner` keeps the mapped file or buffer behind it alive.
  struct Piece {
    std::shared_ptr<const void> owner;
    const uint8_t* data;
    Width width;
    int64_t size;
  };

  void append(Piece piece);
  // The index into pieces_ of the piece holding token `index`.
  size_t piece_of(int64_t index) const;

  std::vector<Piece> pieces_;
  std::vector<int64_t> starts_;  // starts_[i]: the stream index of pieces_[i]'s first token
  int64_t size_ = 0;
};

}  // namespace bytegrad::train
