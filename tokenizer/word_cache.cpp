#include "tokenizer/word_cache.h"

#include <mutex>

namespace bytegrad::tokenizer {

bool WordCache::lookup(std::string_view word, std::vector<TokenId>& ids) const {
  std::shared_lock lock(mutex_);
  const auto it = ids_.find(word);
  if (it == ids_.end()) return false;
  ids.insert(ids.end(), it->second.begin(), it->second.end());
  return true;
}

void WordCache::insert(std::string_view word, std::span<const TokenId> word_ids) {
  std::unique_lock lock(mutex_);
  if (ids_.size() >= capacity_) return;
  ids_.emplace(std::string(word), std::vector<TokenId>(word_ids.begin(), word_ids.end()));
}

}  // namespace bytegrad::tokenizer
