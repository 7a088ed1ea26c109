// Lenient UTF-8 decoding: any byte string is accepted, invalid sequences are single bytes.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

namespace bytegrad::tokenizer {

// One decoded character: its code point and how many bytes it spans. A byte that does not start
// a valid, shortest-form UTF-8 sequence decodes as {kInvalidCodePoint, 1}, so that callers treat
// it as an opaque byte and never read past the end of `text`.
struct Utf8Char {
  char32_t code_point;
  std::size_t length;
};

inline constexpr char32_t kInvalidCodePoint = 0xFFFFFFFF;

// Decodes the character starting at `text[pos]` (pos < text.size()).
Utf8Char decode_utf8(std::string_view text, std::size_t pos);

// Appends the UTF-8 encoding of `cp` (a valid scalar value) to `out`.
void append_utf8(char32_t cp, std::string& out);

// True when `text` is entirely valid UTF-8.
bool is_valid_utf8(std::string_view text);

}  // namespace bytegrad::tokenizer
