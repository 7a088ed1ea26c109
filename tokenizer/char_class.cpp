// Code point -> CharClass lookup over the generated range tables.
#include <algorithm>
#include <array>

#include "tokenizer/unicode_tables.h"

namespace bytegrad::tokenizer {
namespace {

CharClass search_ranges(char32_t cp) {
  const CharClassRange* begin = kCharClassRanges;
  const CharClassRange* end = kCharClassRanges + kCharClassRangeCount;
  const CharClassRange* it =
      std::upper_bound(begin, end, cp, [](char32_t v, const CharClassRange& r) { return v < r.first; });
  if (it == begin) return CharClass::kOther;
  --it;
  return cp <= it->last ? it->cls : CharClass::kOther;
}

// The Basic Multilingual Plane holds nearly all text, so it gets a flat 64 KiB table built once;
// the supplementary planes (emoji, rare CJK) fall back to the binary search.
const std::array<CharClass, 0x10000>& bmp_table() {
  static const std::array<CharClass, 0x10000> table = [] {
    std::array<CharClass, 0x10000> t{};
    for (std::size_t i = 0; i < kCharClassRangeCount; ++i) {
      const CharClassRange& r = kCharClassRanges[i];
      for (char32_t cp = r.first; cp <= r.last && cp < 0x10000; ++cp) t[cp] = r.cls;
    }
    return t;
  }();
  return table;
}

}  // namespace

CharClass char_class(char32_t cp) {
  if (cp < 0x10000) return bmp_table()[cp];
  return search_ranges(cp);
}

}  // namespace bytegrad::tokenizer
