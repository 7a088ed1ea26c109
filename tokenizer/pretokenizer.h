// Pre-tokenization: splitting text into the pieces that byte-level BPE encodes one by one.
// The regular expressions of GPT-2, cl100k/Llama-3 and o200k are implemented as hand-written matchers
// that give exactly the regex's leftmost-first matches, for any bytes (invalid UTF-8 bytes are
// characters of class "other").
#pragma once

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>

namespace bytegrad::tokenizer {

enum class PretokenizerPattern {
  // 's|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+
  kGpt2,
  // (?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}{1,3}| ?[^\s\p{L}\p{N}]+[\r\n]*|
  // \s*[\r\n]+|\s+(?!\S)|\s+   (tiktoken's cl100k_base, also Llama-3)
  kCl100k,
  // cl100k with single digits (\p{N} instead of \p{N}{1,3}), as Qwen2 uses.
  kCl100kSingleDigits,
  // [^\r\n\p{L}\p{N}]?[\p{Lu}\p{Lt}\p{Lm}\p{Lo}\p{M}]*[\p{Ll}\p{Lm}\p{Lo}\p{M}]+(?i:'s|...)?|
  // [^\r\n\p{L}\p{N}]?[\p{Lu}\p{Lt}\p{Lm}\p{Lo}\p{M}]+[\p{Ll}\p{Lm}\p{Lo}\p{M}]*(?i:'s|...)?|
  // \p{N}{1,3}| ?[^\s\p{L}\p{N}]+[\r\n/]*|\s*[\r\n]+|\s+(?!\S)|\s+   (tiktoken's o200k_base, GPT-4o)
  kO200k,
};

// "gpt2", "cl100k" (alias "llama3"), "cl100k-single-digits" (alias "qwen2"), "o200k" (alias
// "gpt4o"); throws
// std::runtime_error listing the known names otherwise.
PretokenizerPattern pattern_from_name(std::string_view name);

// The canonical name of a pattern, as pattern_from_name accepts it.
std::string_view pattern_name(PretokenizerPattern pattern);

// Recognises the regex source of a known pattern as written in tokenizer.json files and tiktoken
// definitions (including the spelled-out contraction variant); nullopt when it is not one of ours.
std::optional<PretokenizerPattern> pattern_from_regex(std::string_view regex);

// The regex source text of a pattern, as Hugging Face's Split pre-tokenizer stores it.
std::string pattern_regex(PretokenizerPattern pattern);

// End (exclusive byte offset) of the piece that starts at `pos` (< text.size()).
std::size_t next_piece_end(PretokenizerPattern pattern, std::string_view text, std::size_t pos);

// Calls on_piece(std::string_view) for each piece of `text`, in order; the pieces tile the text.
template <class OnPiece>
void pretokenize(PretokenizerPattern pattern, std::string_view text, OnPiece&& on_piece) {
  for (std::size_t pos = 0; pos < text.size();) {
    const std::size_t end = next_piece_end(pattern, text, pos);
    on_piece(text.substr(pos, end - pos));
    pos = end;
  }
}

}  // namespace bytegrad::tokenizer
