// The pre-tokenizer patterns cut text exactly where the regular expressions that define them do
// (js-tiktoken's patterns run by JavaScript's regex engine), on the corpus and on cases chosen
// for each pattern's alternatives.
#include <doctest/doctest.h>

#include "reference_support.h"
#include "tokenizer/pretokenizer.h"

namespace bytegrad::tokenizer {
namespace {

// The byte lengths of the pieces of `text`, as the reference's split: mode reports them.
std::vector<TokenId> piece_lengths(PretokenizerPattern pattern, std::string_view text) {
  std::vector<TokenId> lengths;
  pretokenize(pattern, text, [&](std::string_view piece) { lengths.push_back(TokenId(piece.size())); });
  return lengths;
}

void check_same_pieces(PretokenizerPattern pattern, const std::string& reference) {
  std::vector<std::string> texts = testing::reference_corpus();
  for (const char* text : {"HelloWorld CamelCaseXMLParser iPhone eBay ABCdef abcDEF", "DON'T don't I'M You'Re 's 'S",
                           "e\u0301te\u0301 \u0301A \u00e9\u0300\u0301X \u02b0h \u01c5ungla \u01c8jub \u4e2dA \u4e2dAb",
                           "\u0301\u0301Xy !\u0301X \u0915\u094dAB a\u0301BC", "a!/b //c \n/x ?!\r\n/ 12345 \u0661\u0662",
                           "  \t\n\n  x  \r\n y   "})
    texts.push_back(text);
  const std::vector<std::vector<TokenId>> expected = testing::javascript_reference_ids(reference, texts);
  int mismatches = 0;
  for (std::size_t i = 0; i < texts.size() && mismatches < 5; ++i) {
    const std::vector<TokenId> lengths = piece_lengths(pattern, texts[i]);
    CAPTURE(texts[i]);
    CHECK(lengths == expected[i]);
    mismatches += lengths != expected[i];
  }
}

TEST_CASE("the gpt2 pattern splits as GPT-2's regex does") {
  check_same_pieces(PretokenizerPattern::kGpt2, "split:gpt2");
}

TEST_CASE("the cl100k pattern splits as cl100k_base's regex does") {
  check_same_pieces(PretokenizerPattern::kCl100k, "split:cl100k_base");
}

TEST_CASE("the o200k pattern splits as o200k_base's regex does") {
  check_same_pieces(PretokenizerPattern::kO200k, "split:o200k_base");
}

TEST_CASE("tokenizer.json and tiktoken spellings of the o200k regex are recognised") {
  CHECK(pattern_from_regex(pattern_regex(PretokenizerPattern::kO200k)) == PretokenizerPattern::kO200k);
  const std::string spelled = "('s|'S|'t|'T|'re|'rE|'Re|'RE|'ve|'vE|'Ve|'VE|'m|'M|'ll|'lL|'Ll|'LL|'d|'D)";
  std::string tiktoken = pattern_regex(PretokenizerPattern::kO200k);
  for (std::size_t at; (at = tiktoken.find("(?i:'s|'t|'re|'ve|'m|'ll|'d)")) != std::string::npos;)
    tiktoken.replace(at, 28, spelled);
  CHECK(pattern_from_regex(tiktoken) == PretokenizerPattern::kO200k);
  CHECK(pattern_from_name("gpt4o") == PretokenizerPattern::kO200k);
}

}  // namespace
}  // namespace bytegrad::tokenizer
