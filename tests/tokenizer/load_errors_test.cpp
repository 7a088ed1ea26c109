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
