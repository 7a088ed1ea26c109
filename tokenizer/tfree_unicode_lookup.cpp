// Lookups in the generated tables of tokenizer/tfree_unicode_tables.cpp.
#include <algorithm>

#include "tokenizer/tfree_unicode_tables.h"
#include "tokenizer/utf8.h"

namespace bytegrad::tokenizer {

bool is_tfree_word_run_char(char32_t cp) {
  if (cp < 0x80) return (cp | 0x20) >= 'a' && (cp | 0x20) <= 'z';
  const CodePointRange* end = kTfreeWordRunRanges + kTfreeWordRunRangeCount;
  const CodePointRange* it =
      std::upper_bound(kTfreeWordRunRanges, end, cp, [](char32_t v, const CodePointRange& r) { return v < r.first; });
  return it != kTfreeWordRunRanges && cp <= (it - 1)->last;
}

std::string python_lower(const std::string& text) {
  std::string out;
  out.reserve(text.size());
  const LowercaseMapping* end = kTfreeLowercaseMappings + kTfreeLowercaseMappingCount;
  for (std::size_t pos = 0; pos < text.size();) {
    const Utf8Char c = decode_utf8(text, pos);
    const LowercaseMapping* it = std::lower_bound(
        kTfreeLowercaseMappings, end, c.code_point,
        [](const LowercaseMapping& m, char32_t v) { return m.code_point < v; });
    if (c.code_point != kInvalidCodePoint && it != end && it->code_point == c.code_point) {
      append_utf8(it->lower[0], out);
      if (it->lower[1]) append_utf8(it->lower[1], out);
    } else {
      out.append(text, pos, c.length);
    }
    pos += c.length;
  }
  return out;
}

}  // namespace bytegrad::tokenizer
