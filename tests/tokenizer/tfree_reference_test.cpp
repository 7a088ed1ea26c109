// T-Free words and patterns against a Python reference (tests/tokenizer/reference/tfree_reference.py,
// our re-implementation of the original's rules on Python's own `re` and `hashlib`), on real text
// (Debian's fortunes, when installed) and on the varied corpus of reference_support.h with its
// random strings over many Unicode blocks.
#include <doctest/doctest.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>
#include <string>
#include <vector>

#include "reference_support.h"
#include "tokenizer/tfree_words.h"
#include "tokenizer/trigram_hasher.h"
#include "tokenizer/utf8.h"

namespace bytegrad::tokenizer {
namespace {

namespace fs = std::filesystem;

// Up to `count` fortunes (paragraphs between "%" lines) from each of a few Debian fortune files.
std::vector<std::string> fortunes(std::size_t count) {
  std::vector<std::string> texts;
  for (const char* name : {"fortunes", "literature", "science", "computers"}) {
    std::ifstream in(fs::path("/usr/share/games/fortunes") / name, std::ios::binary);
    std::string line, paragraph;
    std::size_t taken = 0;
    while (taken < count && std::getline(in, line)) {
      if (line == "%") {
        if (is_valid_utf8(paragraph)) texts.push_back(paragraph), ++taken;
        paragraph.clear();
      } else {
        paragraph += line + "\n";
      }
    }
  }
  return texts;
}

TEST_CASE("words and patterns match the Python reference on real and random text") {
  std::vector<std::string> texts = fortunes(100);
  if (texts.empty()) MESSAGE("Debian's fortunes are not installed; comparing on the test corpus only");
  for (std::string& text : testing::reference_corpus()) texts.push_back(std::move(text));
  texts.push_back("Hello<|endoftext|> World  <|Caf\xC3\xA9 \xC3\x9C|>\n\n\n\n\nend");

  const TrigramHashConfig config{.vocab_size = 4093, .population = 6, .lowercase_overlap = 2};
  const fs::path in = testing::scratch_dir() / "tfree-in.json", out = testing::scratch_dir() / "tfree-out.json";
  std::ofstream(in, std::ios::binary) << nlohmann::json{{"texts", texts},
                                                        {"vocab_size", config.vocab_size},
                                                        {"population", config.population},
                                                        {"lowercase_overlap", config.lowercase_overlap}}
                                             .dump();
  const std::string command = "python3 '" BYTEGRAD_SOURCE_DIR "/tests/tokenizer/reference/tfree_reference.py' '" +
                              in.string() + "' '" + out.string() + "'";
  REQUIRE_MESSAGE(std::system(command.c_str()) == 0, "the Python reference failed: ", command);
  std::ifstream result_file(out, std::ios::binary);
  std::stringstream result_text;
  result_text << result_file.rdbuf();
  const nlohmann::json expected = nlohmann::json::parse(result_text.str());

  const TrigramHasher hasher(config);
  REQUIRE(expected["words"].size() == texts.size());
  for (std::size_t i = 0; i < texts.size(); ++i) {
    CAPTURE(texts[i]);
    const std::vector<std::string> words = text_to_words(texts[i]);
    REQUIRE(words == expected["words"][i].get<std::vector<std::string>>());
    CHECK(words_to_text(words) == texts[i]);
  }
  int64_t compared = 0;
  for (const auto& [word, pattern] : expected["patterns"].items()) {
    CAPTURE(word);
    CHECK(hasher.word_pattern(word) == pattern.get<std::vector<int64_t>>());
    ++compared;
  }
  MESSAGE("compared ", texts.size(), " texts and ", compared, " distinct word patterns");
}

}  // namespace
}  // namespace bytegrad::tokenizer
