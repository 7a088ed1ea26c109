// Unicode character categories used by the pre-tokenizer patterns, from generated range tables.
#pragma once

#include <cstdint>
#include <cstddef>

namespace bytegrad::tokenizer {

// The general categories the patterns distinguish. o200k tells letter cases apart: upper
// (\p{Lu}, \p{Lt}), lower (\p{Ll}), and letters without case (\p{Lm}, \p{Lo}), with marks
// (\p{M}) treated like caseless letters. Whitespace is the Unicode White_Space property (\s);
// everything else, including invalid UTF-8 bytes, is kOther.
enum class CharCategory : uint8_t { kOther, kUpperLetter, kLowerLetter, kOtherLetter, kMark, kNumber, kWhitespace };

// The coarser classes of the GPT-2 and cl100k/Llama-3 patterns: letters are \p{L}, numbers
// \p{N}, whitespace \s; marks are kOther there.
enum class CharClass : uint8_t { kOther, kLetter, kNumber, kWhitespace };

struct CharCategoryRange {
  char32_t first;
  char32_t last;  // inclusive
  CharCategory category;
};

// Sorted, non-overlapping ranges of every code point that is not kOther (unicode_tables.cpp,
// constant-initialised so that lookups are safe during static initialisation too).
extern const CharCategoryRange kCharCategoryRanges[];
extern const std::size_t kCharCategoryRangeCount;

// The category of one code point: a table lookup below U+10000, a binary search above.
CharCategory char_category(char32_t cp);

// The class a category belongs to.
constexpr CharClass char_class(CharCategory category) {
  switch (category) {
    case CharCategory::kUpperLetter:
    case CharCategory::kLowerLetter:
    case CharCategory::kOtherLetter:
      return CharClass::kLetter;
    case CharCategory::kNumber:
      return CharClass::kNumber;
    case CharCategory::kWhitespace:
      return CharClass::kWhitespace;
    default:
      return CharClass::kOther;
  }
}

// The class of one code point.
inline CharClass char_class(char32_t cp) { return char_class(char_category(cp)); }

}  // namespace bytegrad::tokenizer
