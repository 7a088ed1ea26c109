#include "tokenizer/sentencepiece_normalizer.h"

#include <algorithm>
#include <cstring>
#include <stdexcept>

#include "tokenizer/utf8.h"

namespace bytegrad::tokenizer {
namespace {

constexpr std::string_view kReplacementCharacter = "\xEF\xBF\xBD";

// darts-clone unit accessors (darts.h, DoubleArrayUnit).
bool unit_has_leaf(std::uint32_t unit) { return (unit >> 8) & 1; }
std::uint32_t unit_value(std::uint32_t unit) { return unit & ((1u << 31) - 1); }
std::uint32_t unit_label(std::uint32_t unit) { return unit & ((1u << 31) | 0xFF); }
std::uint32_t unit_offset(std::uint32_t unit) { return (unit >> 10) << ((unit & (1u << 9)) >> 6); }

}  // namespace

SentencePieceNormalizer::SentencePieceNormalizer(const SentencePieceProto& proto,
                                                 std::vector<std::string> user_defined,
                                                 const std::string& source)
    : user_defined_(std::move(user_defined)),
      add_dummy_prefix_(proto.add_dummy_prefix),
      remove_extra_whitespaces_(proto.remove_extra_whitespaces),
      escape_whitespaces_(proto.escape_whitespaces),
      treat_whitespace_as_suffix_(proto.treat_whitespace_as_suffix),
      dummy_prefix_unless_space_(proto.dummy_prefix_unless_space),
      dummy_prefix_only_at_text_start_(proto.dummy_prefix_only_at_text_start) {
  std::sort(user_defined_.begin(), user_defined_.end(),
            [](const std::string& a, const std::string& b) { return a.size() > b.size(); });
  // precompiled_charsmap = uint32 trie size in bytes, the trie's units, then the replacement
  // strings that the trie's values index.
  const std::string& blob = proto.precompiled_charsmap;
  if (blob.empty()) return;
  const auto fail = [&](const std::string& what) {
    return std::runtime_error(source + ": normalizer_spec.precompiled_charsmap: " + what);
  };
  if (blob.size() < 4) throw fail("shorter than its 4-byte header");
  std::uint32_t trie_bytes = 0;
  std::memcpy(&trie_bytes, blob.data(), 4);
  if (trie_bytes % 4 != 0 || trie_bytes == 0 || trie_bytes > blob.size() - 4)
    throw fail("trie size " + std::to_string(trie_bytes) + " does not fit the " + std::to_string(blob.size()) + "-byte blob");
  trie_units_.resize(trie_bytes / 4);
  std::memcpy(trie_units_.data(), blob.data() + 4, trie_bytes);
  normalized_strings_ = blob.substr(4 + trie_bytes);
}

std::pair<std::uint32_t, std::size_t> SentencePieceNormalizer::longest_rule(std::string_view text) const {
  // Darts::DoubleArray::commonPrefixSearch, keeping the longest hit.
  std::pair<std::uint32_t, std::size_t> best{0, 0};
  if (trie_units_.empty()) return best;
  std::size_t node = unit_offset(trie_units_[0]);
  for (std::size_t i = 0; i < text.size(); ++i) {
    const auto label = static_cast<unsigned char>(text[i]);
    node ^= label;
    if (node >= trie_units_.size()) break;
    const std::uint32_t unit = trie_units_[node];
    if (unit_label(unit) != label) break;
    node ^= unit_offset(unit);
    if (node >= trie_units_.size()) break;
    if (unit_has_leaf(unit)) best = {unit_value(trie_units_[node]), i + 1};
  }
  return best;
}

std::pair<std::string_view, std::size_t> SentencePieceNormalizer::normalize_prefix(std::string_view text) const {
  for (const std::string& symbol : user_defined_)
    if (text.starts_with(symbol)) return {text.substr(0, symbol.size()), symbol.size()};
  const auto [value, length] = longest_rule(text);
  if (length > 0 && value < normalized_strings_.size())
    return {std::string_view(normalized_strings_.c_str() + value), length};
  const Utf8Char c = decode_utf8(text, 0);
  // A malformed byte becomes U+FFFD and is consumed alone, as SentencePiece does.
  if (c.code_point == kInvalidCodePoint) return {kReplacementCharacter, 1};
  return {text.substr(0, c.length), c.length};
}

std::string SentencePieceNormalizer::normalize(std::string_view text, bool at_text_start) const {
  std::string out;
  if (remove_extra_whitespaces_) {
    while (!text.empty()) {
      const auto [piece, consumed] = normalize_prefix(text);
      if (piece != " ") break;
      text.remove_prefix(consumed);
    }
  }
  if (text.empty()) return out;
  out.reserve(text.size() * 3 / 2 + 3);
  const std::string_view space = escape_whitespaces_ ? kSentencePieceSpace : " ";
  const bool starts_with_space = normalize_prefix(text).first.starts_with(' ');
  const bool prefix_here = !(dummy_prefix_unless_space_ && starts_with_space) &&
                           !(dummy_prefix_only_at_text_start_ && !at_text_start);
  if (add_dummy_prefix_ && !treat_whitespace_as_suffix_ && prefix_here) out += space;
  bool previous_was_space = remove_extra_whitespaces_;
  while (!text.empty()) {
    auto [piece, consumed] = normalize_prefix(text);
    if (previous_was_space && remove_extra_whitespaces_)
      while (piece.starts_with(' ')) piece.remove_prefix(1);
    if (!piece.empty()) {
      for (char c : piece) {
        if (c == ' ' && escape_whitespaces_) out += kSentencePieceSpace;
        else out += c;
      }
      previous_was_space = piece.back() == ' ';
    }
    text.remove_prefix(consumed);
    if (!remove_extra_whitespaces_) previous_was_space = false;
  }
  if (remove_extra_whitespaces_) {
    std::string_view kept = out;
    while (kept.ends_with(space)) kept.remove_suffix(space.size());
    out.erase(kept.size());
  }
  if (add_dummy_prefix_ && treat_whitespace_as_suffix_) out += space;
  return out;
}

}  // namespace bytegrad::tokenizer
