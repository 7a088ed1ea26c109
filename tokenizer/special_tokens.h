// Special and added tokens: strings that are always one token and never split by the model.
#pragma once

#include <array>
#include <bitset>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "tokenizer/token_id.h"

namespace bytegrad::tokenizer {

struct SpecialToken {
  std::string text;
  TokenId id;
  // Control tokens (BOS, EOS, chat markers) are `special`: they are recognised in text only when
  // the caller asks, and decode can skip them. Non-special added tokens (Hugging Face's
  // "special": false) are plain vocabulary entries that are always matched whole.
  bool special = true;
  bool lstrip = false;  // the match swallows whitespace before it
  bool rstrip = false;  // the match swallows whitespace after it
};

// One stretch of text: either plain text for the model, or a matched special token.
struct TextSegment {
  std::string_view text;
  const SpecialToken* token = nullptr;  // null for plain text
};

// Finds special tokens in text, leftmost first and longest at a position.
class SpecialTokenMatcher {
 public:
  explicit SpecialTokenMatcher(std::vector<SpecialToken> tokens = {});

  // Splits `text` into plain and token segments. Tokens with `special` set are matched only when
  // `match_special` is true; the others always.
  std::vector<TextSegment> split(std::string_view text, bool match_special) const;

  const std::vector<SpecialToken>& tokens() const { return tokens_; }

  // The token with this id or this exact text; null when there is none.
  const SpecialToken* find(TokenId id) const;
  const SpecialToken* find(std::string_view text) const;

 private:
  std::vector<SpecialToken> tokens_;              // longest first
  std::bitset<256> first_bytes_;                  // quick rejection of positions
  std::array<bool, 2> any_of_kind_{};             // [special] present?
  std::unordered_map<TokenId, std::size_t> index_by_id_;
  TokenIdMap id_by_text_;
};

}  // namespace bytegrad::tokenizer
