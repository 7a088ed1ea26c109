#include "tokenizer/tfree_words.h"

#include <algorithm>
#include <charconv>
#include <optional>
#include <stdexcept>

#include "tokenizer/tfree_unicode_tables.h"
#include "tokenizer/utf8.h"

namespace bytegrad::tokenizer {
namespace {

// The original's sets, all ASCII, so testing one byte of a word's UTF-8 tests its character.
constexpr std::string_view kNoSpaceAfter = "#$=-+*/'\"\\(<[]~^&@%_\n ";
constexpr std::string_view kNoSpaceBefore = ".,:;?!=-+*/'\"\\)>]~^&@%_\n 1234567890";
constexpr std::string_view kSpace = " ";
constexpr std::string_view kWhitespaceRun = "<-ws->";
constexpr std::string_view kNewlineRun = "<-\n->";
constexpr long long kMaxRunCount = 1'000'000;

bool ends_in(std::string_view word, std::string_view set) {
  return !word.empty() && set.find(word.back()) != std::string_view::npos;
}
bool begins_with(std::string_view word, std::string_view set) {
  return !word.empty() && set.find(word.front()) != std::string_view::npos;
}

// Python's re.split(r"(\d|\W|_)", piece) without the empty strings.
std::vector<std::string_view> split_word_runs(std::string_view piece) {
  std::vector<std::string_view> items;
  std::size_t run_start = 0, pos = 0;
  while (pos < piece.size()) {
    const Utf8Char c = decode_utf8(piece, pos);
    if (!is_tfree_word_run_char(c.code_point)) {
      if (run_start < pos) items.push_back(piece.substr(run_start, pos - run_start));
      items.push_back(piece.substr(pos, c.length));
      run_start = pos + c.length;
    }
    pos += c.length;
  }
  if (run_start < pos) items.push_back(piece.substr(run_start));
  return items;
}

// Step 3 of text_to_words: "<|no_ws|>" where an expected space is missing, then expected single
// spaces dropped and the others written "<|ws|>".
std::vector<std::string_view> compress_whitespace(const std::vector<std::string_view>& items) {
  if (items.empty()) return {};
  std::vector<std::string_view> marked;
  marked.reserve(items.size() * 2);
  for (std::size_t i = 0; i + 1 < items.size(); ++i) {
    marked.push_back(items[i]);
    const std::string_view last = items[i], next = items[i + 1];
    if (last != kSpace && next != kSpace && !ends_in(last, kNoSpaceAfter) && !begins_with(next, kNoSpaceBefore))
      marked.push_back(kTfreeNoWhitespace);
  }
  marked.push_back(items.back());

  std::vector<std::string_view> out;
  out.reserve(marked.size());
  out.push_back(marked.front() == kSpace ? kTfreeWhitespace : marked.front());
  for (std::size_t i = 1; i + 1 < marked.size(); ++i) {
    const std::string_view last = marked[i - 1], middle = marked[i], next = marked[i + 1];
    if (middle != kSpace) {
      out.push_back(middle);
      continue;
    }
    const bool unexpected = (ends_in(last, kNoSpaceAfter) && last != kTfreeWhitespace) ||
                            (begins_with(next, kNoSpaceBefore) && next != kTfreeWhitespace) ||
                            is_tfree_special_piece(last) || is_tfree_special_piece(next);
    if (unexpected) out.push_back(kTfreeWhitespace);
  }
  if (marked.size() > 1) out.push_back(marked.back() == kSpace ? kTfreeWhitespace : marked.back());
  return out;
}

std::string run_token(long long count, std::string_view run) {
  return "<|" + std::to_string(count) + std::string(run) + "|>";
}

// Step 4 of text_to_words: "\n" as "<|\n|>", then runs of equal markers merged, at most 4 per token.
void append_with_runs_merged(const std::vector<std::string_view>& items, std::vector<std::string>& words) {
  for (std::size_t i = 0; i < items.size();) {
    const std::string_view item = items[i] == "\n" ? kTfreeNewline : items[i];
    if (item != kTfreeWhitespace && item != kTfreeNewline) {
      words.emplace_back(item);
      ++i;
      continue;
    }
    std::size_t end = i + 1;
    while (end < items.size() && (items[end] == "\n" ? kTfreeNewline : items[end]) == item) ++end;
    const long long count = static_cast<long long>(end - i);
    const std::string_view run = item == kTfreeWhitespace ? kWhitespaceRun : kNewlineRun;
    long long pairs = count / 2;
    for (; pairs > 2; pairs -= 2) words.push_back(run_token(4, run));
    if (pairs > 0) words.push_back(run_token(2 * pairs, run));
    if (count % 2 == 1) words.emplace_back(item);
    i = end;
  }
}

void append_piece_words(std::string_view piece, std::vector<std::string>& words) {
  if (piece.empty()) return;
  if (is_tfree_special_piece(piece)) {
    words.emplace_back(piece);
    return;
  }
  append_with_runs_merged(compress_whitespace(split_word_runs(piece)), words);
}

std::size_t first_invalid_utf8(std::string_view text) {
  for (std::size_t pos = 0; pos < text.size();) {
    const Utf8Char c = decode_utf8(text, pos);
    if (c.code_point == kInvalidCodePoint) return pos;
    pos += c.length;
  }
  return text.size();
}

// The marker count of "<|N<-ws->|>" or "<|N<-\n->|>" (the original: "<|", a digit, and one of the
// run names anywhere in the word), or nullopt for any other word.
std::optional<long long> run_count(std::string_view word) {
  if (!is_tfree_special_piece(word) || word.size() < 3 || word[2] < '0' || word[2] > '9') return std::nullopt;
  if (word.find(kWhitespaceRun) == std::string_view::npos && word.find(kNewlineRun) == std::string_view::npos)
    return std::nullopt;
  std::size_t end = 2;
  while (end < word.size() && word[end] >= '0' && word[end] <= '9') ++end;
  long long count = 0;
  const auto [ptr, error] = std::from_chars(word.data() + 2, word.data() + end, count);
  if (error != std::errc() || count > kMaxRunCount)
    throw std::invalid_argument("T-Free words_to_text: whitespace run '" + std::string(word) +
                                "' repeats more than " + std::to_string(kMaxRunCount) + " times");
  return count;
}

}  // namespace

bool is_tfree_special_piece(std::string_view word) { return word.starts_with("<|") && word.ends_with("|>"); }

std::vector<std::string> text_to_words(std::string_view text) {
  if (const std::size_t bad = first_invalid_utf8(text); bad < text.size())
    throw std::invalid_argument("T-Free text_to_words: invalid UTF-8 at byte " + std::to_string(bad) + " of " +
                                std::to_string(text.size()));
  std::vector<std::string> words;
  std::size_t piece_start = 0, pos = 0;
  while (pos + 1 < text.size()) {
    if (text[pos] != '<' || text[pos + 1] != '|') {
      ++pos;
      continue;
    }
    // Python's `<\|.*?\|>`: the nearest "|>" after the "<|" with no newline in between. When there
    // is none, no later "<|" on this line can have one either, so the scan resumes at the newline.
    const std::size_t line_end = std::min(text.find('\n', pos + 2), text.size());
    const std::size_t close = text.find("|>", pos + 2);
    if (close == std::string_view::npos || close >= line_end) {
      pos = line_end;
      continue;
    }
    append_piece_words(text.substr(piece_start, pos - piece_start), words);
    words.emplace_back(text.substr(pos, close + 2 - pos));
    pos = piece_start = close + 2;
  }
  append_piece_words(text.substr(piece_start), words);
  return words;
}

std::string words_to_text(const std::vector<std::string>& words) {
  std::vector<std::string_view> expanded;
  expanded.reserve(words.size());
  for (const std::string& word : words) {
    if (word.empty()) continue;
    const std::optional<long long> count = run_count(word);
    if (!count) {
      expanded.push_back(word);
      continue;
    }
    const std::string_view marker = word.find(kWhitespaceRun) != std::string::npos ? kTfreeWhitespace : kTfreeNewline;
    expanded.insert(expanded.end(), std::size_t(*count), marker);
  }
  std::string text;
  for (std::size_t i = 0; i < expanded.size(); ++i) {
    const std::string_view word = expanded[i];
    if (i > 0) {
      const std::string_view previous = expanded[i - 1];
      const bool space_expected = !is_tfree_special_piece(previous) && !is_tfree_special_piece(word) &&
                                  !ends_in(previous, kNoSpaceAfter) && !begins_with(word, kNoSpaceBefore);
      if (space_expected) text += ' ';
    }
    if (word == kTfreeWhitespace) text += ' ';
    else if (word == kTfreeNewline) text += '\n';
    else if (word != kTfreeNoWhitespace) text += word;
  }
  return text;
}

}  // namespace bytegrad::tokenizer
