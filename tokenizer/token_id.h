// The integer type of token ids, and the hashing that lets string-keyed vocabularies be searched
// with string_views without copying.
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <string_view>
#include <unordered_map>

namespace bytegrad::tokenizer {

using TokenId = std::int32_t;

struct StringViewHash {
  using is_transparent = void;
  std::size_t operator()(std::string_view s) const { return std::hash<std::string_view>{}(s); }
};

// A map from token text (or bytes) to id that accepts std::string_view keys in find().
using TokenIdMap = std::unordered_map<std::string, TokenId, StringViewHash, std::equal_to<>>;

}  // namespace bytegrad::tokenizer
