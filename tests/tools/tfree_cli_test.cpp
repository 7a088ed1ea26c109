// `bytegrad tfree encode` and `bytegrad tfree dictionary` end to end: the built program's output
// must equal what the library computes, and bad input must give a clear error.
#include <doctest/doctest.h>

#include <sys/wait.h>

#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>
#include <string>

#include "tests/cli_runner.h"
#include "tokenizer/tfree_dictionary.h"
#include "tokenizer/tfree_words.h"

namespace bytegrad::tools {
namespace {

namespace fs = std::filesystem;

using testing::CommandResult;
using testing::read_whole_file;

fs::path scratch(const std::string& name) { return testing::cli_scratch("tools_tests", name); }

CommandResult run_bytegrad(const std::string& arguments, const std::string& input) {
  return testing::run_bytegrad(arguments, input, "tools_tests");
}

const std::string kParagraph =
    "T-Free splits text into words. Each word's byte trigrams activate m of V rows;\n"
    "in 2024 it reported 87.5% fewer embedding parameters.  Hello<|endoftext|>";

TEST_CASE("tfree encode prints the words, their patterns and the text as one JSON object") {
  const CommandResult run =
      run_bytegrad("tfree encode --vocab-size 8000 --population 7 --lowercase-overlap 3", kParagraph);
  REQUIRE(run.status == 0);
  CHECK(run.err.empty());
  CHECK(run.out.starts_with("{\"words\":"));
  const nlohmann::json out = nlohmann::json::parse(run.out);
  const std::vector<std::string> words = tokenizer::text_to_words(kParagraph);
  CHECK(out["words"].get<std::vector<std::string>>() == words);
  const tokenizer::TrigramHasher hasher({.vocab_size = 8000, .population = 7, .lowercase_overlap = 3});
  REQUIRE(out["patterns"].size() == words.size());
  for (std::size_t i = 0; i < words.size(); ++i)
    CHECK(out["patterns"][i].get<std::vector<int64_t>>() == hasher.word_pattern(words[i]));
  CHECK(out["text"].get<std::string>() == kParagraph);
}

TEST_CASE("tfree encode of empty input has no words, and invalid UTF-8 is an error") {
  const CommandResult empty = run_bytegrad("tfree encode", "");
  CHECK(empty.status == 0);
  CHECK(empty.out == "{\"words\":[],\"patterns\":[],\"text\":\"\"}\n");
  const CommandResult bad = run_bytegrad("tfree encode", "ok \xFF");
  CHECK(bad.status == 1);
  CHECK(bad.err == "bytegrad tfree: stdin: T-Free text_to_words: invalid UTF-8 at byte 3 of 4\n");
  const CommandResult config = run_bytegrad("tfree encode --population 0", "x");
  CHECK(config.status == 2);
  CHECK(config.err.find("population") != std::string::npos);
}

TEST_CASE("tfree dictionary writes the dictionary the library builds") {
  const fs::path dir = scratch("tfree_dictionary");
  std::ofstream(dir / "a.txt") << "the cat and the dog\n";
  std::ofstream(dir / "b.txt") << "the owl and a cat\n";
  const CommandResult run = run_bytegrad("tfree dictionary --corpus '" + (dir / "a.txt").string() + "' --corpus '" +
                                             (dir / "b.txt").string() + "' --top 3 --more-words 'zebra yak' --out '" +
                                             (dir / "dict.jsonl").string() + "' --vocab-size 512 --population 4",
                                         "");
  REQUIRE(run.status == 0);
  const tokenizer::TfreeDictionary loaded = tokenizer::TfreeDictionary::load(dir / "dict.jsonl");
  CHECK(loaded.config() == tokenizer::TrigramHashConfig{.vocab_size = 512, .population = 4, .lowercase_overlap = 2});
  REQUIRE(loaded.size() == 16 + 3 + 2);
  CHECK(loaded.word(16) == "the");
  CHECK(loaded.word(17) == "and");
  CHECK(loaded.word(18) == "cat");
  CHECK(loaded.word(19) == "zebra");
  CHECK(loaded.word(20) == "yak");
  const CommandResult missing = run_bytegrad("tfree dictionary --corpus /nonexistent --out x.jsonl", "");
  CHECK(missing.status == 1);
  CHECK(missing.err == "bytegrad tfree: /nonexistent: cannot open file\n");
}

TEST_CASE("tfree stats prints T-Free's fertility per text file") {
  const fs::path dir = scratch("tfree_stats");
  std::ofstream(dir / "en.txt") << "Hello, world: it's 2024.\n";  // 4 whitespace words, 14 T-Free words
  const CommandResult run = run_bytegrad("tfree stats --text '" + (dir / "en.txt").string() + "'", "");
  REQUIRE(run.status == 0);
  CHECK(run.out.find("en.txt") != std::string::npos);
  CHECK(run.out.find("T-Free words                         -    0.00   0.00   0.00   0.00          3.500") !=
        std::string::npos);
}

}  // namespace
}  // namespace bytegrad::tools

namespace bytegrad::tools {
namespace {

// A config for a one-layer T-Free model trained for a few steps on `corpus`.
std::string tiny_tfree_config(const fs::path& corpus, const fs::path& output) {
  nlohmann::json config = {
      {"model", {{"model_type", "tfree"}, {"vocab_size", 256}, {"tfree_population", 4}, {"tfree_lowercase_overlap", 1},
                 {"loss_pos_weight", 20.0}, {"loss_scale", 10.0}, {"hidden_size", 32}, {"num_hidden_layers", 1},
                 {"num_attention_heads", 2}, {"intermediate_size", 64}, {"max_position_embeddings", 32}}},
      {"data", {{"paths", {corpus.string()}}, {"document_delimiter", "\n%\n"}, {"eval_fraction", 0.2}}},
      {"optimizer", {{"name", "adamw"}, {"lr", 1e-2}}},
      {"training", {{"steps", 40}, {"batch_size", 4}, {"seq_len", 16}, {"log_interval", 10}}},
      {"eval", {{"interval", 20}, {"batches", 1}}},
      {"sample", {{"interval", 0}, {"tokens", 8}, {"temperature", 0.0}}},
      {"output_dir", output.string()}};
  const fs::path path = output.parent_path() / "tfree.json";
  std::ofstream(path) << config.dump(2);
  return path.string();
}

}  // namespace

TEST_CASE("bytegrad train, generate, tfree accuracy and prep work on a T-Free model end to end") {
  const fs::path dir = scratch("tfree_end_to_end");
  std::string corpus_text;
  for (int i = 0; i < 40; ++i) corpus_text += "the cat sat on the mat.\n%\nthe dog ran to the park.\n%\n";
  std::ofstream(dir / "corpus.txt") << corpus_text;
  const std::string config = tiny_tfree_config(dir / "corpus.txt", dir / "run");

  const CommandResult train = run_bytegrad("train --config '" + config + "'", "");
  REQUIRE_MESSAGE(train.status == 0, train.err);
  CHECK(train.out.find("model: tfree") != std::string::npos);
  CHECK(train.out.find("words/s") != std::string::npos);
  CHECK(fs::exists(dir / "run" / "model" / "tfree_dictionary.jsonl"));
  CHECK(fs::exists(dir / "run" / "metrics.jsonl"));

  const CommandResult generate = run_bytegrad(
      "generate --model '" + (dir / "run" / "model").string() + "' --prompt 'the dog ran to the' --temperature 0 "
      "--max-new-tokens 4 --logprobs", "");
  REQUIRE_MESSAGE(generate.status == 0, generate.err);
  CHECK(generate.err.find("words in") != std::string::npos);
  const std::string last_line = generate.out.substr(generate.out.rfind('\n', generate.out.size() - 2) + 1);
  const nlohmann::json reply = nlohmann::json::parse(last_line);
  CHECK(reply["words"].size() == reply["log_probs"].size());
  CHECK(reply["words"].size() >= 1);

  const CommandResult accuracy =
      run_bytegrad("tfree accuracy --config '" + config + "' --model '" + (dir / "run" / "model").string() +
                   "' --words 8", "");
  REQUIRE_MESSAGE(accuracy.status == 0, accuracy.err);
  const nlohmann::json figures = nlohmann::json::parse(accuracy.out.substr(accuracy.out.find('{')));
  CHECK(figures["positions"].get<int>() > 0);
  CHECK(figures["accuracy"].get<double>() > figures["baseline"].get<double>());

  const CommandResult prep = run_bytegrad("prep --config '" + config + "' --set output_dir='" +
                                              (dir / "prep").string() + "'", "");
  REQUIRE_MESSAGE(prep.status == 0, prep.err);
  for (const char* suffix : {".bin", ".idx", ".meta.json", ".indices.bin", ".lengths.bin", ".offsets.bin"})
    CHECK(fs::exists(dir / "prep" / (std::string("corpus") + suffix)));

  // A T-Free directory without its dictionary is named as such.
  fs::remove(dir / "run" / "model" / "tfree_dictionary.jsonl");
  const CommandResult missing = run_bytegrad(
      "generate --model '" + (dir / "run" / "model").string() + "' --prompt 'the'", "");
  CHECK(missing.status != 0);
  CHECK(missing.err.find("tfree_dictionary.jsonl") != std::string::npos);
}

}  // namespace bytegrad::tools
