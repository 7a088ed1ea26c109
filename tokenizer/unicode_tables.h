// Unicode character classes used by the pre-tokenizer patterns, from generated range tables.
#pragma once

#include <cstdint>
#include <cstddef>

namespace bytegrad::tokenizer {

// The classes the GPT-2 and cl100k/Llama-3 patterns distinguish. Letters are \p{L}, numbers are
// \p{N}, whitespace is the Unicode White_Space property (\s); everything else, including invalid
// UTF-8 bytes, is kOther.
enum class CharClass : uint8_t { kOther, kLetter, kNumber, kWhitespace };

struct CharClassRange {
  char32_t first;
  char32_t last;  // inclusive
  CharClass cls;
};

// Sorted, non-overlapping ranges of every code point that is not kOther (unicode_tables.cpp,
// constant-initialised so that lookups are safe during static initialisation too).
extern const CharClassRange kCharClassRanges[];
extern const std::size_t kCharClassRangeCount;

// The class of one code point: a table lookup below U+10000, a binary search above.
CharClass char_class(char32_t cp);

}  // namespace bytegrad::tokenizer
