// Training configs: sections and defaults, --set overrides, and errors naming the key.
#include "tests/test_util.h"
#include "train/run_config.h"

namespace bytegrad::train {
namespace {

nlohmann::json minimal() {
  return {{"model", {{"hidden_size", 8}, {"num_hidden_layers", 1}, {"num_attention_heads", 2}}},
          {"data", {{"paths", {"corpus.txt"}}, {"bpe_vocab_size", 300}}}};
}

}  // namespace

TEST_CASE("a minimal config takes the defaults") {
  const RunConfig c = run_config_from_json(minimal(), "c.json");
  CHECK(c.model_type == "llama");
  CHECK(c.optimizer.name == "adamw");
  CHECK(c.data.bpe_vocab_size == 300);
  CHECK(c.schedule.total_steps == c.trainer.steps);
  CHECK(c.schedule.peak == c.optimizer.adamw.learning_rate);
}

TEST_CASE("--set overrides nested keys with JSON values or strings") {
  nlohmann::json config = minimal();
  apply_overrides(config, {"training.steps=7", "optimizer.name=sgd", "optimizer.lr=0.5", "model.model_type=gpt2"});
  const RunConfig c = run_config_from_json(config, "c.json");
  CHECK(c.trainer.steps == 7);
  CHECK(c.optimizer.name == "sgd");
  CHECK(c.optimizer.sgd.learning_rate == 0.5);
  CHECK(c.model_type == "gpt2");
  CHECK(testing::error_of([&] { apply_overrides(config, {"steps"}); }).find("KEY=VALUE") != std::string::npos);
}

TEST_CASE("unknown keys and wrong types are errors naming the file and key") {
  nlohmann::json config = minimal();
  config["training"] = {{"stepz", 3}};
  CHECK(testing::error_of([&] { run_config_from_json(config, "c.json"); }).find("c.json: unknown key \"training.stepz\"") !=
        std::string::npos);
  config = minimal();
  config["optimizer"] = {{"lr", "fast"}};
  CHECK(testing::error_of([&] { run_config_from_json(config, "c.json"); }).find("\"optimizer.lr\" must be a number") !=
        std::string::npos);
  config = minimal();
  config["data"]["tokenizer"] = "tok.json";
  CHECK(testing::error_of([&] { run_config_from_json(config, "c.json"); }).find("exactly one of") != std::string::npos);
  config = minimal();
  config["extra"] = 1;
  CHECK(testing::error_of([&] { run_config_from_json(config, "c.json"); }).find("unknown key \"extra\"") != std::string::npos);
}

TEST_CASE("data.chat_template and data.special_tokens add tokens to a trained BPE only") {
  nlohmann::json config = minimal();
  config["data"]["chat_template"] = "chatml";
  config["data"]["special_tokens"] = {"<|pad|>"};
  const RunConfig c = run_config_from_json(config, "c.json");
  CHECK(c.data.chat_template == "chatml");
  CHECK(c.data.special_tokens == std::vector<std::string>{"<|pad|>"});
  config["data"]["chat_template"] = "llama2";
  CHECK(testing::error_of([&] { run_config_from_json(config, "c.json"); }).find("\"chatml\" or \"llama3\"") !=
        std::string::npos);
  config = minimal();
  config["data"].erase("bpe_vocab_size");
  config["data"]["tokenizer"] = "tok.json";
  config["data"]["special_tokens"] = {"<|pad|>"};
  CHECK(testing::error_of([&] { run_config_from_json(config, "c.json"); }).find("a loaded tokenizer keeps its own") !=
        std::string::npos);
}

}  // namespace bytegrad::train
