// Malformed or unsupported tokenizer files give errors that name the file and the problem.
#include <doctest/doctest.h>

#include <fstream>

#include <nlohmann/json.hpp>

#include "reference_support.h"
#include "tokenizer/bpe_trainer.h"
#include "tokenizer/load.h"
#include "tokenizer/sentencepiece_model.h"

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

// Values of the wrong type deep inside the file: the error names the field by its path and says
// what was expected, instead of a raw JSON library message.
TEST_CASE("tokenizer.json with a value of the wrong type names its field") {
  const std::string bpe = R"("model": {"type": "BPE", "vocab": {}, "merges": []},
    "pre_tokenizer": {"type": "ByteLevel", "add_prefix_space": false})";
  check_error(write_scratch("post-id.json", "{" + bpe + R"(, "post_processor": {"type": "TemplateProcessing",
    "single": [{"SpecialToken": {"id": 5, "type_id": 0}}], "special_tokens": {}}})"),
              "post_processor.single[0].SpecialToken.id: type must be string, but is number");
  check_error(write_scratch("pre-type.json", R"({"model": {"type": "BPE", "vocab": {}, "merges": []},
    "pre_tokenizer": {"type": "Sequence", "pretokenizers": 7}})"),
              "pre_tokenizer.pretokenizers");
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

// A small valid byte-level tokenizer.json (260 ids) as JSON, to break one field of.
nlohmann::json valid_tokenizer_json() {
  const std::filesystem::path path = testing::scratch_dir() / "errors" / "valid" / "tokenizer.json";
  std::filesystem::create_directories(path.parent_path());
  const std::vector<std::string> texts(10, "the cat sat on the mat");
  BpeTrainerOptions options;
  options.vocab_size = 260;
  write_tokenizer_json(train_byte_level_bpe(texts, options), path);
  std::ifstream in(path);
  return nlohmann::json::parse(in);
}

std::filesystem::path write_json(const std::string& directory, const nlohmann::json& json) {
  return write_scratch(directory + "/tokenizer.json", json.dump());
}

TEST_CASE("tokenizer.json nested 20,000 levels deep is an error, not a stack overflow") {
  nlohmann::json root = valid_tokenizer_json();
  std::string nested;
  for (int i = 0; i < 20000; ++i) nested += R"({"type": "Sequence", "processors": [)";
  nested += "null";
  for (int i = 0; i < 20000; ++i) nested += "]}";
  std::string text = root.dump();
  text.insert(1, "\"post_processor\": " + nested + ", ");
  check_error(write_scratch("deep/tokenizer.json", text), "JSON: nested deeper than 256 levels");
}

TEST_CASE("added_tokens ids that are negative or beyond 32 bits are errors naming the token") {
  for (const char* id : {"-3", "4294967301", "\"5\""}) {
    CAPTURE(id);
    nlohmann::json root = valid_tokenizer_json();
    root["added_tokens"] = nlohmann::json::parse(std::string(R"([{"content": "<x>", "id": )") + id + "}]");
    check_error(write_json("added_id", root), "added_tokens[0].id: expected a token id (an integer from 0 to 2147483647)");
  }
}

TEST_CASE("post-processor ids outside the vocabulary are errors naming the file") {
  nlohmann::json root = valid_tokenizer_json();
  root["post_processor"] = nlohmann::json::parse(R"({"type": "TemplateProcessing",
      "single": [{"SpecialToken": {"id": "<s>", "type_id": 0}}, {"Sequence": {"id": "A", "type_id": 0}}],
      "special_tokens": {"<s>": {"id": "<s>", "ids": [7000]}}})");
  check_error(write_json("post_ids", root), "post_processor.special_tokens: id 7000 is outside the vocabulary of 260");
}

TEST_CASE("errors in tokenizer_config.json name that file, not tokenizer.json") {
  const std::filesystem::path path = write_json("config_blame", valid_tokenizer_json());
  std::ofstream(path.parent_path() / "tokenizer_config.json") << R"({"eos_token": 42})";
  try {
    load_tokenizer(path);
    FAIL("loading succeeded");
  } catch (const std::runtime_error& e) {
    CHECK(std::string(e.what()) == (path.parent_path() / "tokenizer_config.json").string() +
                                       ": eos_token: expected a string or an object with a string \"content\", got 42");
  }
  std::ofstream(path.parent_path() / "tokenizer_config.json") << "{not json";
  check_error(path.parent_path() / "tokenizer_config.json", "tokenizer_config.json: JSON: ");
}

TEST_CASE("a .tiktoken file with a bad first line names that line, not a protobuf field") {
  check_error(write_scratch("first.tiktoken", "not base64 at all\nIQ== 0\n"), "first.tiktoken:1", PretokenizerPattern::kCl100k);
}

TEST_CASE("a SentencePiece model with an empty piece is refused, as spm_encode refuses it") {
  using Type = SentencePieceProto::PieceType;
  SentencePieceProto proto;
  proto.pieces = {{"<unk>", 0, Type::kUnknown}, {"a", -1, Type::kNormal}, {"", 0, Type::kUserDefined}};
  try {
    SentencePieceModel model(proto, "empty.model");
    FAIL("the model was accepted");
  } catch (const std::runtime_error& e) {
    CHECK(std::string(e.what()) == "empty.model: piece 2 is empty (SentencePiece rejects empty pieces)");
  }
}

}  // namespace
}  // namespace bytegrad::tokenizer
