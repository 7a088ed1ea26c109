// A thread-safe memo of the ids of words, for encoders whose words are independent: natural
// text repeats a small set of words (Zipf's law), so most words are encoded once.
#pragma once

#include <cstddef>
#include <shared_mutex>
#include <span>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "tokenizer/token_id.h"

namespace bytegrad::tokenizer {

class WordCache {
 public:
  // Holds at most `capacity` words; later words are encoded every time rather than evicting, which
  // keeps lookups lock-light and memory bounded.
  explicit WordCache(std::size_t capacity = 1 << 16) : capacity_(capacity) {}

  // Appends the cached ids of `word` to `ids` and returns true, or returns false.
  bool lookup(std::string_view word, std::vector<TokenId>& ids) const;

  void insert(std::string_view word, std::span<const TokenId> word_ids);

 private:
  std::size_t capacity_;
  mutable std::shared_mutex mutex_;
  std::unordered_map<std::string, std::vector<TokenId>, StringViewHash, std::equal_to<>> ids_;
};

}  // namespace bytegrad::tokenizer
