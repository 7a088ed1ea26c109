// Code point -> CharCategory lookup over the generated range tables.
#include <algorithm>
#include <array>

#include "tokenizer/unicode_tables.h"

namespace bytegrad::tokenizer {
namespace {

CharCategory search_ranges(char32_t cp) {
  const CharCategoryRange* begin = kCharCategoryRanges;
  const CharCategoryRange* end = kCharCategoryRanges + kCharCategoryRangeCount;
  const CharCategoryRange* it =
      std::upper_bound(begin, end, cp, [](char32_t v, const CharCategoryRange& r) { return v < r.first; });
  if (it == begin) return CharCategory::kOther;
  --it;
  return cp <= it->last ? it->category : CharCategory::kOther;
}

// The Basic Multilingual Plane holds nearly all text, so it gets a flat 64 KiB table built once;
// the supplementary planes (emoji, rare CJK) fall back to the binary search.
const std::array<CharCategory, 0x10000>& bmp_table() {
  static const std::array<CharCategory, 0x10000> table = [] {
    std::array<CharCategory, 0x10000> t{};
    for (std::size_t i = 0; i < kCharCategoryRangeCount; ++i) {
      const CharCategoryRange& r = kCharCategoryRanges[i];
      for (char32_t cp = r.first; cp <= r.last && cp < 0x10000; ++cp) t[cp] = r.category;
    }
    return t;
  }();
  return table;
}

}  // namespace

CharCategory char_category(char32_t cp) {
  if (cp < 0x10000) return bmp_table()[cp];
  return search_ranges(cp);
}

}  // namespace bytegrad::tokenizer
