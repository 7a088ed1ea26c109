// T-Free's words (Deiseroth et al. 2024, arXiv 2406.19223): text split into the units whose byte
// trigrams are hashed, with whitespace folded into marker words, and the exact inverse. The rules
// follow the original code (its wordsplit.py), which differs from the paper's Appendix B.
#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace bytegrad::tokenizer {

// The marker words of the whitespace compression.
inline constexpr std::string_view kTfreeWhitespace = "<|ws|>";       // a space no rule predicts
inline constexpr std::string_view kTfreeNoWhitespace = "<|no_ws|>";  // a space a rule predicts is absent
inline constexpr std::string_view kTfreeNewline = "<|\n|>";          // "\n" (the bytes <, |, newline, |, >)
inline constexpr std::string_view kTfreeEndOfText = "<|endoftext|>";

// True for a word written "<|...|>" (begins with "<|" and ends with "|>"): special words are kept
// whole by the splitter and never get a space inserted around them.
bool is_tfree_special_piece(std::string_view word);

// Splits UTF-8 `text` into T-Free words:
//  1. Every "<|...|>" on one line (the shortest match, as Python's `<\|.*?\|>`) is one word, and so
//     is any remaining piece that begins with "<|" and ends with "|>" (so "<|\n|>" is one word).
//  2. The rest splits as Python 3's re.split(r"(\d|\W|_)"): every decimal digit, '_' and non-word
//     character is a word of its own; maximal runs of the other word characters are words.
//  3. Whitespace is compressed per piece: between two non-space words where a space would be
//     expected (the left word does not end in a "no space after" character, the right one does not
//     begin with a "no space before" character) "<|no_ws|>" is inserted; a single space between
//     words is dropped where it is expected and kept as "<|ws|>" where it is not; spaces at the
//     ends of a piece are always "<|ws|>".
//  4. "\n" becomes "<|\n|>", and runs of c identical "<|ws|>" or "<|\n|>" become "<|4<-ws->|>"
//     (or "<|4<-\n->|>") for each 4, then "<|2...|>" for a remaining pair, then a single token.
// Empty text gives no words. Throws std::invalid_argument naming the byte offset when `text` is not
// valid UTF-8 (the original decodes its input as str and so never sees such bytes).
std::vector<std::string> text_to_words(std::string_view text);

// The inverse of text_to_words: expands "<|N<-ws->|>" / "<|N<-\n->|>" into N markers, inserts a
// space between two words where one is expected (neither is special, the left does not end in a
// "no space after" character, the right does not begin with a "no space before" one), then writes
// "<|ws|>" as " ", "<|\n|>" as "\n" and drops "<|no_ws|>". words_to_text(text_to_words(t)) == t.
// Empty words are skipped (the original would fail on them). Throws std::invalid_argument for a
// whitespace run token whose count exceeds 1,000,000.
std::string words_to_text(const std::vector<std::string>& words);

}  // namespace bytegrad::tokenizer
