// Near-duplicate entries of a subword vocabulary, in the style of the T-Free paper's Table 1
// (Deiseroth et al. 2024): entries that another entry repeats up to the case of its first letter, a
// leading space, or its digits. T-Free has no such entries by construction: it has no vocabulary
// of strings, only hashed rows.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace bytegrad::tokenizer {

struct VocabularyDuplicates {
  int64_t entries = 0;  // distinct entries examined
  int64_t capital = 0;  // another entry differs only in the ASCII case of the first letter ("The"/"the")
  int64_t space = 0;    // another entry differs only by a leading space (" the"/"the")
  int64_t digits = 0;   // another entry differs only in which digits it holds ("2019"/"2020")
  int64_t total = 0;    // entries in at least one of the three classes

  // 100 * count / entries (0 for an empty vocabulary).
  double percent(int64_t count) const { return entries == 0 ? 0.0 : 100.0 * double(count) / double(entries); }
};

// Counts the near-duplicates among `entries`, written as text with a leading space spelled " "
// (callers map byte-level "Ġ" and SentencePiece "▁" to a space first). Repeated entries count once.
VocabularyDuplicates count_vocabulary_duplicates(const std::vector<std::string>& entries);

// A vocabulary piece as text: the byte-level space "Ġ" (U+0120) and the SentencePiece space "▁"
// (U+2581) become " ".
std::string piece_as_text(const std::string& piece);

}  // namespace bytegrad::tokenizer
