// SentencePiece models against spm_encode (Debian's sentencepiece) and llama-tokenizer-js: the
// real Llama-2 (BPE, byte fallback) and ALBERT (unigram, nmt_nfkc) models shipped by an npm
// package, and BPE/unigram models that spm_train builds here.
#include <doctest/doctest.h>

#include <fstream>

#include "reference_support.h"
#include "tokenizer/file_text.h"
#include "tokenizer/load.h"

namespace bytegrad::tokenizer {
namespace {

using testing::reference_corpus;
using testing::reference_file;
using testing::run_command;
using testing::scratch_dir;
using testing::spm_encode_ids;

// spm_encode reads one sentence per line, so the corpus is cut into lines.
std::vector<std::string> corpus_lines() {
  std::vector<std::string> lines;
  for (const std::string& text : reference_corpus()) {
    std::size_t start = 0;
    for (std::size_t end; (end = text.find_first_of("\r\n", start)) != std::string::npos; start = end + 1)
      lines.push_back(text.substr(start, end - start));
    lines.push_back(text.substr(start));
  }
  // Invalid UTF-8 (stray continuation bytes, truncated sequences, overlong forms, surrogates):
  // SentencePiece reads each bad byte as U+FFFD.
  for (const char* bad : {"\xFF\xFE broken", "tail \xC3", "mid \xE2\x82 dle", "\xF0\x9F\x98 emoji cut",
                          "\xED\xA0\x80 surrogate", "\xC0\xAF overlong", "\x80\x80\x80"})
    lines.push_back(bad);
  return lines;
}

void check_matches_spm_encode(const std::filesystem::path& model, const std::vector<std::string>& lines) {
  const Tokenizer tokenizer = load_tokenizer(model);
  const std::vector<std::vector<TokenId>> expected = spm_encode_ids(model, lines);
  int mismatches = 0;
  for (std::size_t i = 0; i < lines.size() && mismatches < 5; ++i) {
    const std::vector<TokenId> ids = tokenizer.encode(lines[i]);
    CAPTURE(lines[i]);
    CHECK(ids == expected[i]);
    mismatches += ids != expected[i];
  }
}

std::filesystem::path llama2_model() { return reference_file(".bytegrad-vocab/llama2.model"); }

TEST_CASE("Llama-2 tokenizer.model: special ids and the seed 004 prompt") {
  const Tokenizer tokenizer = load_tokenizer(llama2_model());
  CHECK(tokenizer.bos_id() == 1);
  CHECK(tokenizer.eos_id() == 2);
  CHECK_FALSE(tokenizer.pad_id().has_value());
  CHECK(tokenizer.vocab_size() == 32000);
  CHECK(tokenizer.encode("I believe the meaning of life is", {.add_special_tokens = true}) ==
        std::vector<TokenId>{1, 306, 4658, 278, 6593, 310, 2834, 338});
}

TEST_CASE("Llama-2 tokenizer.model encodes the corpus as spm_encode and llama-tokenizer-js do") {
  check_matches_spm_encode(llama2_model(), corpus_lines());
  const Tokenizer tokenizer = load_tokenizer(llama2_model());
  std::vector<std::string> corpus = reference_corpus();
  const std::vector<std::vector<TokenId>> expected = testing::javascript_reference_ids("llama2-js", corpus);
  int mismatches = 0;
  for (std::size_t i = 0; i < corpus.size() && mismatches < 5; ++i) {
    const std::vector<TokenId> ids = tokenizer.encode(corpus[i]);
    CAPTURE(corpus[i]);
    CHECK(ids == expected[i]);
    mismatches += ids != expected[i];
  }
}

TEST_CASE("Llama-2 decode inverts encode, including byte-fallback characters") {
  const Tokenizer tokenizer = load_tokenizer(llama2_model());
  for (const std::string& text : reference_corpus()) {
    CAPTURE(text);
    CHECK(tokenizer.decode(tokenizer.encode(text, {.add_special_tokens = true}), {.skip_special_tokens = true}) == text);
  }
}

TEST_CASE("ALBERT's unigram model with nmt_nfkc normalisation encodes as spm_encode does") {
  check_matches_spm_encode(reference_file(".bytegrad-vocab/albert-unigram.model"), corpus_lines());
}

// Trains a model with spm_train on the corpus (the reference for both training and encoding).
std::filesystem::path train_spm_model(const std::string& name, const std::string& options) {
  const std::filesystem::path dir = scratch_dir() / "spm";
  std::filesystem::create_directories(dir);
  const std::filesystem::path text = dir / "train.txt";
  {
    std::ofstream out(text, std::ios::binary);
    for (int repeat = 0; repeat < 3; ++repeat)
      for (const std::string& line : corpus_lines()) out << line << '\n';
  }
  const std::filesystem::path prefix = dir / name;
  run_command("spm_train --input='" + text.string() + "' --model_prefix='" + prefix.string() +
              "' --vocab_size=2500 --hard_vocab_limit=false --character_coverage=0.98 --minloglevel=2 " + options + " > /dev/null 2>&1");
  return prefix.string() + ".model";
}

TEST_CASE("spm_train BPE models with byte fallback encode as spm_encode does") {
  const auto model = train_spm_model("bpe", "--model_type=bpe --byte_fallback=true");
  check_matches_spm_encode(model, corpus_lines());
}

TEST_CASE("spm_train BPE with identity normalisation and kept whitespace encodes as spm_encode does") {
  const auto model = train_spm_model(
      "bpe_identity", "--model_type=bpe --normalization_rule_name=identity --remove_extra_whitespaces=false "
                      "--add_dummy_prefix=false --user_defined_symbols='<sep>,[INST]'");
  std::vector<std::string> lines = corpus_lines();
  lines.push_back("a <sep> b [INST] c<sep>d");
  check_matches_spm_encode(model, lines);
}

TEST_CASE("spm_train unigram models encode as spm_encode does") {
  const auto model = train_spm_model("unigram", "--model_type=unigram");
  check_matches_spm_encode(model, corpus_lines());
}

TEST_CASE("spm_train unigram models with byte fallback encode as spm_encode does") {
  const auto model = train_spm_model("unigram_bytes", "--model_type=unigram --byte_fallback=true");
  check_matches_spm_encode(model, corpus_lines());
}

TEST_CASE("a directory with tokenizer.model and a converted tokenizer.json loads the SentencePiece model") {
  const std::filesystem::path dir = scratch_dir() / "llama2-dir";
  std::filesystem::create_directories(dir);
  std::filesystem::copy_file(llama2_model(), dir / "tokenizer.model", std::filesystem::copy_options::overwrite_existing);
  // Hugging Face's conversion of Llama-2 has no byte-level pre-tokenizer; its presence must not matter.
  std::ofstream(dir / "tokenizer.json") << R"({"model": {"type": "BPE", "vocab": {}, "merges": []}, "pre_tokenizer": null})";
  const Tokenizer tokenizer = load_tokenizer(dir);
  CHECK(tokenizer.encode("I believe the meaning of life is", {.add_special_tokens = true}) ==
        std::vector<TokenId>{1, 306, 4658, 278, 6593, 310, 2834, 338});
}

TEST_CASE("a truncated .model file is an error naming the file") {
  const std::filesystem::path broken = scratch_dir() / "truncated.model";
  {
    const std::string bytes = read_file_bytes(llama2_model());
    std::ofstream(broken, std::ios::binary) << bytes.substr(0, bytes.size() / 2);
  }
  CHECK_THROWS_WITH_AS(load_tokenizer(broken), doctest::Contains(broken.string().c_str()), std::runtime_error);
}

}  // namespace
}  // namespace bytegrad::tokenizer
