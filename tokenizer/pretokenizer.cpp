#include "tokenizer/pretokenizer.h"

#include <stdexcept>

#include "tokenizer/unicode_tables.h"
#include "tokenizer/utf8.h"

namespace bytegrad::tokenizer {
namespace {

struct Char {
  CharClass cls;
  CharCategory category;
  char32_t cp;
  std::size_t end;  // byte offset just past this character
};

Char char_at(std::string_view text, std::size_t pos) {
  const unsigned char b = static_cast<unsigned char>(text[pos]);
  CharCategory category = CharCategory::kOther;
  if (b < 0x80) {  // ASCII fast path: most text, and every character the patterns name literally
    if (b >= 'A' && b <= 'Z') category = CharCategory::kUpperLetter;
    else if (b >= 'a' && b <= 'z') category = CharCategory::kLowerLetter;
    else if (b >= '0' && b <= '9') category = CharCategory::kNumber;
    else if (b == ' ' || (b >= '\t' && b <= '\r')) category = CharCategory::kWhitespace;
    return {char_class(category), category, b, pos + 1};
  }
  const Utf8Char c = decode_utf8(text, pos);
  if (c.code_point != kInvalidCodePoint) category = char_category(c.code_point);
  return {char_class(category), category, c.code_point, pos + c.length};
}

bool is_newline(char32_t cp) { return cp == '\r' || cp == '\n'; }

// End of the run of characters of class `cls` starting at `pos`, taking at most `max_chars`.
std::size_t run_end(std::string_view text, std::size_t pos, CharClass cls,
                    std::size_t max_chars = std::string_view::npos) {
  std::size_t count = 0;
  while (pos < text.size() && count < max_chars) {
    const Char c = char_at(text, pos);
    if (c.cls != cls) break;
    pos = c.end;
    ++count;
  }
  return pos;
}

// 's 't 're 've 'm 'll 'd at `pos`; returns the end or 0 when none matches.
std::size_t contraction_end(std::string_view text, std::size_t pos, bool ignore_case) {
  if (text[pos] != '\'' || pos + 1 >= text.size()) return 0;
  const auto lower = [&](std::size_t i) -> char {
    if (i >= text.size()) return 0;
    const char c = text[i];
    return ignore_case && c >= 'A' && c <= 'Z' ? char(c + 32) : c;
  };
  const char a = lower(pos + 1);
  if (a == 's' || a == 't' || a == 'm' || a == 'd') return pos + 2;
  const char b = lower(pos + 2);
  if ((a == 'r' && b == 'e') || (a == 'v' && b == 'e') || (a == 'l' && b == 'l')) return pos + 3;
  return 0;
}

// \s+(?!\S)|\s+ at a whitespace character: the whole run at the end of the text; before a
// non-space, the run minus its last character (which then leads the next piece), or the single
// whitespace character when the run has only one.
std::size_t whitespace_end(std::string_view text, std::size_t pos) {
  std::size_t last_start = pos;
  std::size_t end = pos;
  std::size_t count = 0;
  while (end < text.size()) {
    const Char c = char_at(text, end);
    if (c.cls != CharClass::kWhitespace) break;
    last_start = end;
    end = c.end;
    ++count;
  }
  if (end == text.size() || count == 1) return end;
  return last_start;
}

std::size_t gpt2_piece_end(std::string_view text, std::size_t pos) {
  if (const std::size_t e = contraction_end(text, pos, /*ignore_case=*/false)) return e;
  const Char first = char_at(text, pos);
  // " ?X+" for X in letters, numbers, others: the optional space binds to the run after it.
  const bool leading_space = first.cp == ' ' && first.end < text.size();
  const Char head = leading_space ? char_at(text, first.end) : first;
  if (head.cls != CharClass::kWhitespace) return run_end(text, head.end, head.cls);
  return whitespace_end(text, pos);
}

// The alternatives cl100k and o200k share after their letter runs:
// \p{N}{1,max_digits}| ?[^\s\p{L}\p{N}]+[\r\n<slash>]*|\s*[\r\n]+|\s+(?!\S)|\s+ where o200k
// also lets "/" follow the punctuation run.
std::size_t non_letter_piece_end(std::string_view text, std::size_t pos, std::size_t max_digits,
                                 bool slash_after_punctuation) {
  const Char first = char_at(text, pos);
  // \p{N}{1,3}
  if (first.cls == CharClass::kNumber)
    return run_end(text, first.end, CharClass::kNumber, max_digits - 1);
  // " ?[^\s\p{L}\p{N}]+[\r\n]*"
  const Char head = first.cp == ' ' && first.end < text.size() ? char_at(text, first.end) : first;
  if (head.cls == CharClass::kOther) {
    std::size_t end = run_end(text, head.end, CharClass::kOther);
    while (end < text.size() && (is_newline(static_cast<unsigned char>(text[end])) ||
                                 (slash_after_punctuation && text[end] == '/')))
      ++end;
    return end;
  }
  // \s*[\r\n]+ : the whitespace run up to and including its last line break.
  std::size_t last_newline_end = 0;
  for (std::size_t p = pos; p < text.size();) {
    const Char c = char_at(text, p);
    if (c.cls != CharClass::kWhitespace) break;
    p = c.end;
    if (is_newline(c.cp)) last_newline_end = p;
  }
  if (last_newline_end) return last_newline_end;
  return whitespace_end(text, pos);
}

// [^\r\n\p{L}\p{N}]: the character that may lead a run of letters.
bool may_lead_letters(const Char& c) {
  return c.cls != CharClass::kLetter && c.cls != CharClass::kNumber && !is_newline(c.cp);
}

std::size_t cl100k_piece_end(std::string_view text, std::size_t pos, std::size_t max_digits) {
  if (const std::size_t e = contraction_end(text, pos, /*ignore_case=*/true)) return e;
  const Char first = char_at(text, pos);
  // [^\r\n\p{L}\p{N}]?\p{L}+
  if (first.cls == CharClass::kLetter) return run_end(text, first.end, CharClass::kLetter);
  if (may_lead_letters(first) && first.end < text.size()) {
    const Char second = char_at(text, first.end);
    if (second.cls == CharClass::kLetter) return run_end(text, second.end, CharClass::kLetter);
  }
  return non_letter_piece_end(text, pos, max_digits, /*slash_after_punctuation=*/false);
}

// o200k's letter classes: [\p{Lu}\p{Lt}\p{Lm}\p{Lo}\p{M}] ("upper side") and
// [\p{Ll}\p{Lm}\p{Lo}\p{M}] ("lower side"); caseless letters and marks are on both.
bool is_upper_side(CharCategory c) {
  return c == CharCategory::kUpperLetter || c == CharCategory::kOtherLetter || c == CharCategory::kMark;
}
bool is_lower_side(CharCategory c) {
  return c == CharCategory::kLowerLetter || c == CharCategory::kOtherLetter || c == CharCategory::kMark;
}

// End of the run of characters starting at `pos` whose category satisfies `in_class`.
template <class InClass>
std::size_t category_run_end(std::string_view text, std::size_t pos, InClass in_class) {
  while (pos < text.size()) {
    const Char c = char_at(text, pos);
    if (!in_class(c.category)) break;
    pos = c.end;
  }
  return pos;
}

// o200k's two word alternatives at `pos`, without their optional leading character:
//   upper_first false: [upper side]*[lower side]+   upper_first true: [upper side]+[lower side]*
// Returns the end of the regex's match, or 0 when the alternative does not match here.
std::size_t o200k_word_end(std::string_view text, std::size_t pos, bool upper_first) {
  // The greedy upper-side run, and where its last character that is also lower side ends.
  std::size_t end = pos;
  std::size_t last_shared_end = 0;
  while (end < text.size()) {
    const Char c = char_at(text, end);
    if (!is_upper_side(c.category)) break;
    if (is_lower_side(c.category)) last_shared_end = c.end;
    end = c.end;
  }
  const bool lower_follows = end < text.size() && char_at(text, end).category == CharCategory::kLowerLetter;
  if (lower_follows) {
    if (upper_first && end == pos) return 0;
    return category_run_end(text, end, is_lower_side);
  }
  // No lowercase letter follows: [upper]*[lower]+ backtracks to end at the last shared character.
  if (!upper_first) return last_shared_end;
  return end > pos ? end : 0;
}

std::size_t o200k_piece_end(std::string_view text, std::size_t pos) {
  const Char first = char_at(text, pos);
  const bool has_lead = may_lead_letters(first) && first.end < text.size();
  for (bool upper_first : {false, true}) {
    // [^\r\n\p{L}\p{N}]? tries with its character first, then without.
    std::size_t end = has_lead ? o200k_word_end(text, first.end, upper_first) : 0;
    if (!end) end = o200k_word_end(text, pos, upper_first);
    if (end) {
      // (?i:'s|'t|'re|'ve|'m|'ll|'d)?
      if (end < text.size())
        if (const std::size_t e = contraction_end(text, end, /*ignore_case=*/true)) return e;
      return end;
    }
  }
  return non_letter_piece_end(text, pos, 3, /*slash_after_punctuation=*/true);
}

}  // namespace

std::size_t next_piece_end(PretokenizerPattern pattern, std::string_view text, std::size_t pos) {
  switch (pattern) {
    case PretokenizerPattern::kGpt2:
      return gpt2_piece_end(text, pos);
    case PretokenizerPattern::kCl100k:
      return cl100k_piece_end(text, pos, 3);
    case PretokenizerPattern::kCl100kSingleDigits:
      return cl100k_piece_end(text, pos, 1);
    case PretokenizerPattern::kO200k:
      return o200k_piece_end(text, pos);
  }
  throw std::logic_error("next_piece_end: unknown pattern");
}

PretokenizerPattern pattern_from_name(std::string_view name) {
  if (name == "gpt2") return PretokenizerPattern::kGpt2;
  if (name == "cl100k" || name == "llama3") return PretokenizerPattern::kCl100k;
  if (name == "cl100k-single-digits" || name == "qwen2")
    return PretokenizerPattern::kCl100kSingleDigits;
  if (name == "o200k" || name == "gpt4o") return PretokenizerPattern::kO200k;
  throw std::runtime_error("unknown pre-tokenizer pattern '" + std::string(name) +
                           "' (expected gpt2, cl100k, llama3, cl100k-single-digits, qwen2, o200k or gpt4o)");
}

std::string_view pattern_name(PretokenizerPattern pattern) {
  switch (pattern) {
    case PretokenizerPattern::kGpt2:
      return "gpt2";
    case PretokenizerPattern::kCl100k:
      return "cl100k";
    case PretokenizerPattern::kCl100kSingleDigits:
      return "cl100k-single-digits";
    case PretokenizerPattern::kO200k:
      return "o200k";
  }
  throw std::logic_error("pattern_name: unknown pattern");
}

std::string pattern_regex(PretokenizerPattern pattern) {
  const std::string contractions = "(?i:'s|'t|'re|'ve|'m|'ll|'d)";
  const std::string cl100k_tail =
      "| ?[^\\s\\p{L}\\p{N}]+[\\r\\n]*|\\s*[\\r\\n]+|\\s+(?!\\S)|\\s+";
  switch (pattern) {
    case PretokenizerPattern::kGpt2:
      return "'s|'t|'re|'ve|'m|'ll|'d| ?\\p{L}+| ?\\p{N}+| ?[^\\s\\p{L}\\p{N}]+|\\s+(?!\\S)|\\s+";
    case PretokenizerPattern::kCl100k:
      return contractions + "|[^\\r\\n\\p{L}\\p{N}]?\\p{L}+|\\p{N}{1,3}" + cl100k_tail;
    case PretokenizerPattern::kCl100kSingleDigits:
      return contractions + "|[^\\r\\n\\p{L}\\p{N}]?\\p{L}+|\\p{N}" + cl100k_tail;
    case PretokenizerPattern::kO200k: {
      const std::string upper = "[\\p{Lu}\\p{Lt}\\p{Lm}\\p{Lo}\\p{M}]";
      const std::string lower = "[\\p{Ll}\\p{Lm}\\p{Lo}\\p{M}]";
      const std::string lead = "[^\\r\\n\\p{L}\\p{N}]?";
      return lead + upper + "*" + lower + "+" + contractions + "?|" + lead + upper + "+" + lower + "*" + contractions +
             "?|\\p{N}{1,3}| ?[^\\s\\p{L}\\p{N}]+[\\r\\n/]*|\\s*[\\r\\n]+|\\s+(?!\\S)|\\s+";
    }
  }
  throw std::logic_error("pattern_regex: unknown pattern");
}

std::optional<PretokenizerPattern> pattern_from_regex(std::string_view regex) {
  // tiktoken spells the case-insensitive contractions out; both spellings mean the same pattern.
  const std::string spelled_out =
      "('s|'S|'t|'T|'re|'rE|'Re|'RE|'ve|'vE|'Ve|'VE|'m|'M|'ll|'lL|'Ll|'LL|'d|'D)";
  std::string normalised(regex);
  for (std::size_t at = normalised.find(spelled_out); at != std::string::npos; at = normalised.find(spelled_out, at))
    normalised.replace(at, spelled_out.size(), "(?i:'s|'t|'re|'ve|'m|'ll|'d)");
  for (PretokenizerPattern p : {PretokenizerPattern::kGpt2, PretokenizerPattern::kCl100k,
                                PretokenizerPattern::kCl100kSingleDigits, PretokenizerPattern::kO200k}) {
    if (normalised == pattern_regex(p)) return p;
  }
  return std::nullopt;
}

}  // namespace bytegrad::tokenizer
