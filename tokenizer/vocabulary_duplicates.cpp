#include "tokenizer/vocabulary_duplicates.h"

#include <algorithm>
#include <unordered_map>
#include <unordered_set>

namespace bytegrad::tokenizer {
namespace {

bool is_digit(char c) { return c >= '0' && c <= '9'; }

// The entry with the ASCII case of its first letter (after an optional leading space) flipped, or
// "" when that character is not an ASCII letter.
std::string with_first_case_flipped(const std::string& entry) {
  std::string flipped = entry;
  const std::size_t at = !flipped.empty() && flipped[0] == ' ' ? 1 : 0;
  if (at >= flipped.size()) return "";
  char& c = flipped[at];
  if (c >= 'a' && c <= 'z') c = char(c - 32);
  else if (c >= 'A' && c <= 'Z') c = char(c + 32);
  else return "";
  return flipped;
}

std::string with_leading_space_toggled(const std::string& entry) {
  if (entry.empty()) return "";
  return entry[0] == ' ' ? entry.substr(1) : " " + entry;
}

}  // namespace

std::string piece_as_text(const std::string& piece) {
  std::string text;
  text.reserve(piece.size());
  for (std::size_t i = 0; i < piece.size();) {
    if (piece.compare(i, 2, "\xC4\xA0") == 0) text += ' ', i += 2;            // U+0120
    else if (piece.compare(i, 3, "\xE2\x96\x81") == 0) text += ' ', i += 3;   // U+2581
    else text += piece[i++];
  }
  return text;
}

VocabularyDuplicates count_vocabulary_duplicates(const std::vector<std::string>& entries) {
  const std::unordered_set<std::string> vocabulary(entries.begin(), entries.end());
  // Entries with digits grouped by their shape (every digit written as '0').
  std::unordered_map<std::string, int64_t> digit_shapes;
  const auto shape = [](std::string entry) {
    std::replace_if(entry.begin(), entry.end(), is_digit, '0');
    return entry;
  };
  for (const std::string& entry : vocabulary)
    if (std::any_of(entry.begin(), entry.end(), is_digit)) ++digit_shapes[shape(entry)];

  VocabularyDuplicates counts;
  counts.entries = int64_t(vocabulary.size());
  for (const std::string& entry : vocabulary) {
    const std::string flipped = with_first_case_flipped(entry), toggled = with_leading_space_toggled(entry);
    const bool capital = !flipped.empty() && vocabulary.count(flipped);
    const bool space = !toggled.empty() && toggled != " " && vocabulary.count(toggled);
    const bool digits = std::any_of(entry.begin(), entry.end(), is_digit) && digit_shapes[shape(entry)] > 1;
    counts.capital += capital;
    counts.space += space;
    counts.digits += digits;
    counts.total += capital || space || digits;
  }
  return counts;
}

}  // namespace bytegrad::tokenizer
