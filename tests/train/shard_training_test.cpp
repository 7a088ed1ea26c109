// Training from token shards (`bytegrad prep`'s output) and from a pretrained model directory:
// shards found by glob feed the trainer and its loss falls; a held-out part is split off at a
// document boundary; a run that starts from a model directory starts from its weights.
#include <doctest/doctest.h>

#include <filesystem>
#include <string>

#include "tests/tiny_llama.h"
#include "tests/test_util.h"
#include "tests/scratch_directory.h"
#include "tokenizer/bpe_trainer.h"
#include "tokenizer/load.h"
#include "train/data/corpus_tokens.h"
#include "io/model_directory.h"
#include "train/run_config.h"
#include "train/data/token_shards.h"
#include "train/trainer.h"

namespace bytegrad::train {
namespace {

using bytegrad::testing::check_close;
using bytegrad::testing::error_of;
using namespace bytegrad::testing;

nn::ModelConfig tiny_llama() { return testing::tiny_llama_config(16, 32, 32); }

// Documents of a learnable rule (each token the previous plus the document's stride, mod 15),
// each followed by EOS = 15.
std::vector<uint32_t> rule_document_tokens(int32_t first, int32_t count) {
  std::vector<uint32_t> tokens;
  for (int32_t d = first; d < first + count; ++d) {
    for (int32_t i = 0, t = d % 15; i < 12; ++i, t = (t + 1 + d % 3) % 15) tokens.push_back(uint32_t(t));
    tokens.push_back(15);
  }
  return tokens;
}

// A byte-level BPE whose only special token, "<|endoftext|>", gets id 256 + merges.
void write_tiny_tokenizer(const std::string& path) {
  const std::vector<std::string> texts = {"one two three", "two three four"};
  tokenizer::write_tokenizer_json(
      tokenizer::train_byte_level_bpe(texts, {.vocab_size = 260, .special_tokens = {"<|endoftext|>"}}), path);
}

}  // namespace

TEST_CASE("shards: globs expand in sorted order, and a pattern matching nothing is named") {
  const std::string directory = scratch_directory("shards_glob");
  for (const char* name : {"train_002.bin", "train_000.bin", "train_001.bin", "val.bin"})
    write_token_shard(directory + "/" + name, std::vector<uint32_t>{1, 2}, 1);
  CHECK(expand_shard_paths({directory + "/train_*.bin", directory + "/val.bin"}, "c.json") ==
        std::vector<std::string>{directory + "/train_000.bin", directory + "/train_001.bin", directory + "/train_002.bin",
                                 directory + "/val.bin"});
  CHECK(error_of([&] { expand_shard_paths({directory + "/test_*.bin"}, "c.json"); })
            .find("c.json: no token shard matches '" + directory + "/test_*.bin'") != std::string::npos);
  CHECK(error_of([&] { expand_shard_paths({directory + "/absent.bin"}, "c.json"); }).find("does not exist") !=
        std::string::npos);
}

TEST_CASE("shards: a tiny run from shards lowers the held-out loss") {
  const std::string directory = scratch_directory("shards_training");
  write_token_shard(directory + "/train_000.bin", rule_document_tokens(0, 20), 1);
  write_token_shard(directory + "/train_001.bin", rule_document_tokens(20, 20), 2);
  write_token_shard(directory + "/val.bin", rule_document_tokens(40, 6), 1);
  const std::vector<int32_t> train = read_shard_tokens(expand_shard_paths({directory + "/train_*.bin"}, "test"));
  CHECK(train.size() == 40 * 13);
  Generator generator(3);
  const std::unique_ptr<nn::CausalLM> model_owner = nn::build_causal_lm("llama", tiny_llama(), generator);
  nn::CausalLM& model = *model_owner;
  AdamW optimizer(model.named_parameters(), {.learning_rate = 1e-2});
  Trainer trainer(model, optimizer, {.peak = 1e-2, .floor = 1e-3, .warmup_steps = 3, .total_steps = 30},
                  TokenBatches(train, 4, 12, "train"), TokenBatches(read_shard_tokens({directory + "/val.bin"}), 2, 12, "eval"),
                  generator, {.steps = 30, .eval_batches = 2});
  const double before = trainer.evaluate();
  for (int step = 0; step < 30; ++step) trainer.train_step();
  const double after = trainer.evaluate();
  MESSAGE("held-out loss " << before << " -> " << after);
  CHECK(after < 0.6 * before);
}

TEST_CASE("shards: without eval shards, the last eval_fraction is held out from a document start") {
  const std::string directory = scratch_directory("shards_split");
  write_tiny_tokenizer(directory + "/tokenizer.json");
  const int32_t eos = tokenizer::load_hf_tokenizer_json(directory + "/tokenizer.json").special_token_id("<|endoftext|>");
  std::vector<uint32_t> tokens = rule_document_tokens(0, 10);
  for (uint32_t& t : tokens) t = t == 15 ? uint32_t(eos) : t;  // the tokenizer's "<|endoftext|>"
  write_token_shard(directory + "/train.bin", tokens, 1);
  DataConfig data;
  data.shards = {directory + "/train.bin"};
  data.eval_fraction = 0.25;
  const CorpusTokens loaded = load_shard_tokens(data, "c.json");
  CHECK(loaded.eos == eos);
  CHECK(loaded.files == 1);
  CHECK(size_t(loaded.train.size() + loaded.eval.size()) == tokens.size());
  CHECK(loaded.train.at(loaded.train.size() - 1) == eos);  // the training part ends a document
  CHECK(loaded.eval.size() == 2 * 13);  // 25% is 32.5 tokens: the held-out part starts at the next document
  std::vector<int64_t> held_out(12);
  loaded.eval.read(0, 12, held_out.data());
  CHECK(held_out == std::vector<int64_t>(tokens.begin() + 8 * 13, tokens.begin() + 8 * 13 + 12));

  write_token_shard(directory + "/wide.bin", std::vector<uint32_t>{1, 900, uint32_t(eos)}, 2);
  data.shards = {directory + "/wide.bin"};
  CHECK(error_of([&] { load_shard_tokens(data, "c.json"); }).find("c.json: a shard holds token 900") != std::string::npos);
  data.tokenizer = directory + "/absent.json";
  CHECK(error_of([&] { load_shard_tokens(data, "c.json"); }).find("absent.json does not exist") != std::string::npos);
}

TEST_CASE("config: shards and init_from are read, with the model section from the model directory") {
  const std::string directory = scratch_directory("init_from_config");
  write_tiny_tokenizer(directory + "/tokenizer.json");
  Generator generator(5);
  nn::ModelConfig config = tiny_llama();
  config.vocab_size = 260;
  const std::unique_ptr<nn::CausalLM> saved_owner = nn::build_causal_lm("llama", config, generator);
  nn::CausalLM& saved = *saved_owner;
  io::save_pretrained_model(directory + "/model", saved, nullptr);

  nlohmann::json json = {{"init_from", directory + "/model"},
                         {"model", {{"attention_dropout", 0.1}}},
                         {"data", {{"shards", {directory + "/*.bin"}}, {"tokenizer", directory + "/tokenizer.json"}}},
                         {"checkpoint", {{"interval", 10}, {"keep_last", 2}}}};
  const RunConfig run = run_config_from_json(json, "c.json");
  CHECK(run.model_type == "llama");
  CHECK(run.init_from == directory + "/model");
  CHECK(run.model["hidden_size"] == 32);
  CHECK(run.model["attention_dropout"] == 0.1);
  CHECK(run.data.shards == std::vector<std::string>{directory + "/*.bin"});
  CHECK(run.keep_last_checkpoints == 2);

  // Starting from the directory is starting from its weights: same logits before any step.
  const io::PretrainedModel start = io::load_pretrained_model(run.init_from);
  saved.eval();
  const Tensor ids = from_vector<int64_t>({1, 2, 3, 4, 5, 6}, {1, 6});
  check_close(start.model->forward(ids), saved.forward(ids), 0, 0);

  json["data"] = {{"shards", {"x.bin"}}, {"bpe_vocab_size", 300}};
  CHECK(error_of([&] { run_config_from_json(json, "c.json"); }).find("shards are tokenized already") != std::string::npos);
  json["data"] = {{"paths", {"x.txt"}}};
  CHECK(run_config_from_json(json, "c.json").data.tokenizer == directory + "/model");  // init_from's tokenizer
  json["init_from"] = directory + "/absent";
  CHECK(error_of([&] { run_config_from_json(json, "c.json"); }).find("c.json: \"init_from\": " + directory +
                                                                      "/absent/config.json does not exist") != std::string::npos);
}

}  // namespace bytegrad::train
