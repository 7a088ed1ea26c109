// The Unicode facts T-Free's word splitting needs, generated from Python's unicodedata
// (tokenizer/generate_tfree_unicode_tables.py), because the original splits words with Python 3's
// `re` and lowercases special words with str.lower().
#pragma once

#include <cstddef>
#include <string>

namespace bytegrad::tokenizer {

struct CodePointRange {
  char32_t first;
  char32_t last;  // inclusive
};

// One code point whose str.lower() differs from it: one or two code points (second 0 if one).
struct LowercaseMapping {
  char32_t code_point;
  char32_t lower[2];
};

// The Unicode version of the Python that generated the tables ("14.0.0").
extern const char kTfreeUnicodeVersion[];

// Sorted, disjoint ranges of the characters Python's `(\d|\W|_)` split leaves joined into runs:
// \w (str.isalnum() or '_') that is neither \d (Nd) nor '_'.
extern const CodePointRange kTfreeWordRunRanges[];
extern const std::size_t kTfreeWordRunRangeCount;

// Sorted by code point: every code point whose single-character str.lower() differs.
extern const LowercaseMapping kTfreeLowercaseMappings[];
extern const std::size_t kTfreeLowercaseMappingCount;

// True when `cp` joins its neighbours into one word (a letter or a non-decimal number such as
// '²'); false for decimal digits, '_', marks, punctuation, whitespace and everything else.
bool is_tfree_word_run_char(char32_t cp);

// str.lower() of valid UTF-8 `text`, per code point. Python's one context-dependent rule, the
// final sigma (U+03A3 before a non-letter becomes U+03C2), is not applied: it always gives U+03C3.
std::string python_lower(const std::string& text);

}  // namespace bytegrad::tokenizer
