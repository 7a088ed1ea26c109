// SentencePiece's normaliser: the model's character rewriting rules (precompiled_charsmap, e.g.
// nmt_nfkc), whitespace clean-up, the dummy prefix, and "▁" for spaces, exactly as
// normalizer.cc does them.
#pragma once

#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "tokenizer/sentencepiece_proto.h"

namespace bytegrad::tokenizer {

// The escaped space, U+2581 LOWER ONE EIGHTH BLOCK.
inline constexpr std::string_view kSentencePieceSpace = "\xE2\x96\x81";

class SentencePieceNormalizer {
 public:
  // `user_defined` pieces pass through unchanged, as SentencePiece's prefix matcher keeps them.
  SentencePieceNormalizer(const SentencePieceProto& proto, std::vector<std::string> user_defined,
                          const std::string& source);

  // `at_text_start` says `text` begins the whole input (see dummy_prefix_only_at_text_start).
  std::string normalize(std::string_view text, bool at_text_start = true) const;

 private:
  // The normalised form of the longest rule matching at the start of `text`, and how many input
  // bytes it consumes.
  std::pair<std::string_view, std::size_t> normalize_prefix(std::string_view text) const;
  // Longest Darts double-array match of a prefix of `text`: {value, length}; length 0 if none.
  std::pair<std::uint32_t, std::size_t> longest_rule(std::string_view text) const;

  std::vector<std::uint32_t> trie_units_;  // darts-clone double array
  std::string normalized_strings_;        // NUL-separated replacement texts
  std::vector<std::string> user_defined_;  // longest first
  bool add_dummy_prefix_;
  bool remove_extra_whitespaces_;
  bool escape_whitespaces_;
  bool treat_whitespace_as_suffix_;
  bool dummy_prefix_unless_space_;
  bool dummy_prefix_only_at_text_start_;
};

}  // namespace bytegrad::tokenizer
