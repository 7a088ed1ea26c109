// TextStream releases whole UTF-8 characters only, and its pieces join to the decoded text.
#include <doctest/doctest.h>

#include <string>
#include <vector>

#include "infer/text_stream.h"
#include "tokenizer/bpe_trainer.h"
#include "tokenizer/load.h"

namespace bytegrad::infer {
namespace {

TEST_CASE("complete_utf8_prefix holds back a character whose bytes have not all arrived") {
  const std::string nihon = "\xE6\x97\xA5\xE6\x9C\xAC";  // 日本
  CHECK(complete_utf8_prefix("") == 0);
  CHECK(complete_utf8_prefix("abc") == 3);
  CHECK(complete_utf8_prefix(nihon) == 6);
  CHECK(complete_utf8_prefix(nihon.substr(0, 5)) == 3);
  CHECK(complete_utf8_prefix(nihon.substr(0, 4)) == 3);
  CHECK(complete_utf8_prefix("a\xC3") == 1);              // é cut after its lead byte
  CHECK(complete_utf8_prefix("a\xF0\x9F\x98") == 1);      // an emoji missing its last byte
  CHECK(complete_utf8_prefix("a\xF0\x9F\x98\x80") == 5);  // and complete
  CHECK(complete_utf8_prefix("a\x80") == 2);              // a stray continuation byte is released
  CHECK(complete_utf8_prefix("a\xFF") == 2);              // a byte that starts nothing is released
}

TEST_CASE("a stream of single-byte tokens releases each character once it is whole") {
  // No merges: every byte is its own token, so multi-byte characters span several tokens.
  const std::vector<std::string> texts = {"ab"};
  const tokenizer::TrainedBpe trained = tokenizer::train_byte_level_bpe(texts, {.vocab_size = 256});
  const std::string path = BYTEGRAD_BINARY_DIR "/text_stream_tokenizer.json";
  tokenizer::write_tokenizer_json(trained, path);
  const tokenizer::Tokenizer tok = tokenizer::load_hf_tokenizer_json(path);

  const std::string text = "a\xE6\x97\xA5\xC3\xA9!";  // a日é!
  const std::vector<tokenizer::TokenId> ids = tok.encode(text);
  REQUIRE(ids.size() == text.size());
  TextStream stream(tok);
  std::vector<std::string> pieces;
  for (tokenizer::TokenId id : ids) pieces.push_back(stream.push(id));
  CHECK(pieces == std::vector<std::string>{"a", "", "", "\xE6\x97\xA5", "", "\xC3\xA9", "!"});
  CHECK(stream.finish().empty());
}

TEST_CASE("finish releases an incomplete tail") {
  const std::vector<std::string> texts = {"ab"};
  const tokenizer::TrainedBpe trained = tokenizer::train_byte_level_bpe(texts, {.vocab_size = 256});
  const std::string path = BYTEGRAD_BINARY_DIR "/text_stream_tokenizer_tail.json";
  tokenizer::write_tokenizer_json(trained, path);
  const tokenizer::Tokenizer tok = tokenizer::load_hf_tokenizer_json(path);
  const std::vector<tokenizer::TokenId> ids = tok.encode("x\xE6\x97");
  TextStream stream(tok);
  std::string joined;
  for (tokenizer::TokenId id : ids) joined += stream.push(id);
  CHECK(joined == "x");
  CHECK(stream.finish() == "\xE6\x97");
}

}  // namespace
}  // namespace bytegrad::infer
