// Malformed or unsupported tokenizer files give errors that name the file and the problem.
#include <doctest/doctest.h>

#include <fstream>

#include "reference_support.h"
#include "tokenizer/load.h"

namespace bytegrad::tokenizer {
namespace {

std::filesystem::path write_scratch(const std::string& name, const std::string& bytes) {
  const std::filesystem::path path = testing::scratch_dir() / "errors" / name;
  std::filesystem::create_directories(path.parent_path());
  std::ofstream(path, std::ios::binary) << bytes;
  return path;
}

void check_error(const std::filesystem::path& path, const char* problem,
                 std::optional<PretokenizerPattern> pattern = std::nullopt) {
  CAPTURE(path.string());
  try {
    load_tokenizer(path, pattern);
    FAIL("loading succeeded");
  } catch (const std::runtime_error& e) {
    const std::string message = e.what();
    CAPTURE(message);
    CHECK(message.find(path.string()) != std::string::npos);
    CHECK(message.find(problem) != std::string::npos);
  }
}

TEST_CASE("tokenizer.json that is not JSON") {
  check_error(write_scratch("broken.json", "{\"model\": "), "JSON");
}

TEST_CASE("tokenizer.json with an unsupported pre-tokenizer regex names the field") {
  check_error(write_scratch("regex.json", R"({"model": {"type": "BPE", "vocab": {}, "merges": []},
    "pre_tokenizer": {"type": "Sequence", "pretokenizers": [
      {"type": "Split", "pattern": {"Regex": "\\w+"}, "behavior": "Isolated", "invert": false},
      {"type": "ByteLevel", "add_prefix_space": false, "use_regex": false}]}})"),
              "pre_tokenizer.pretokenizers[0].pattern.Regex");
}

TEST_CASE("tokenizer.json whose merge uses a token missing from the vocabulary") {
  check_error(write_scratch("vocab.json", R"({"model": {"type": "BPE", "vocab": {"a": 0}, "merges": ["a b"]},
    "pre_tokenizer": {"type": "ByteLevel", "add_prefix_space": false}})"),
              "lacks the single-byte token");
}

// A SentencePiece-style tokenizer.json (no pre-tokenizer) with one component replaced.
std::string sentencepiece_json(const std::string& component) {
  return R"({"model": {"type": "BPE", "unk_token": "<unk>", "byte_fallback": false, "fuse_unk": true,
    "vocab": {"<unk>": 0, "\u2581": 1, "a": 2, "\u2581a": 3}, "merges": ["\u2581 a"]},
    "pre_tokenizer": null, "decoder": null, )" + component + "}";
}

TEST_CASE("tokenizer.json with an unsupported normalizer names it") {
  check_error(write_scratch("nfkc.json", sentencepiece_json(R"("normalizer": {"type": "NFKC"})")),
              "normalizer: 'NFKC'");
}

TEST_CASE("tokenizer.json with an unsupported model type names it") {
  check_error(write_scratch("wordpiece.json", R"({"model": {"type": "WordPiece", "vocab": {}},
    "pre_tokenizer": {"type": "BertPreTokenizer"}})"), "model.type: 'WordPiece' is not supported");
}

TEST_CASE("tokenizer.json with an unknown Metaspace prepend_scheme names the field") {
  check_error(write_scratch("scheme.json", sentencepiece_json(R"("normalizer": null, "pre_tokenizer":
    {"type": "Metaspace", "replacement": "\u2581", "prepend_scheme": "sometimes", "split": false})")),
              "pre_tokenizer.prepend_scheme: 'sometimes'");
}

TEST_CASE("tokenizer.json with byte fallback but no ByteFallback decoder names the decoder") {
  std::string text = sentencepiece_json(R"("normalizer": null, "pre_tokenizer":
    {"type": "Metaspace", "replacement": "\u2581", "prepend_scheme": "always", "split": false})");
  text.replace(text.find(R"("byte_fallback": false)"), 22, R"("byte_fallback": true)");
  text.replace(text.find(R"("decoder": null)"), 15, R"("decoder": {"type": "Metaspace", "replacement": "\u2581", "prepend_scheme": "always"})");
  check_error(write_scratch("bytefallback.json", text), "decoder: lacks ByteFallback");
}

TEST_CASE("SentencePiece-style tokenizer.json whose merges miss a split of a piece") {
  std::string text = sentencepiece_json(R"("normalizer": {"type": "Replace", "pattern": {"String": " "}, "content": "\u2581"})");
  text.replace(text.find(R"("merges": ["\u2581 a"])"), 22, R"("merges": [])");
  check_error(write_scratch("merges.json", text), "model.merges: lacks");
}

TEST_CASE("tiktoken file with a bad line names the line") {
  check_error(write_scratch("bad.tiktoken", "IQ== 0\nIg== one\n"), "bad.tiktoken:2", PretokenizerPattern::kCl100k);
}

TEST_CASE("tiktoken file without a pattern asks for one") {
  check_error(write_scratch("nopattern.tiktoken", "IQ== 0\n"), "needs a pre-tokenizer pattern");
}

TEST_CASE("a file that is not a SentencePiece model") {
  check_error(write_scratch("random.model", std::string("\x0a\xff\xff\xff\x0f garbage", 14)), "malformed protobuf");
}

}  // namespace
}  // namespace bytegrad::tokenizer
