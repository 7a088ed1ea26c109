// Fine-tuning configs and generated tasks: defaults, overrides, errors that name the file and
// key; tasks whose answers are right and whose held-out problems never appear in training.
#include <set>

#include "tests/test_util.h"
#include "train/run_config.h"
#include "train/sft/config.h"
#include "train/sft/tasks.h"

namespace bytegrad::train {
namespace {

using bytegrad::testing::error_of;
using nlohmann::json;

json minimal() { return {{"model", "runs/x/model"}, {"data", {{"train", "train.jsonl"}}}}; }

std::string config_error(json config) {
  return error_of([&] { sft_config_from_json(config, "sft.json"); });
}

}  // namespace

TEST_CASE("a minimal fine-tuning config takes the defaults") {
  const SftConfig c = sft_config_from_json(minimal(), "sft.json");
  CHECK(c.model == "runs/x/model");
  CHECK(c.train_data == "train.jsonl");
  CHECK(c.eval_data.empty());
  CHECK(c.format.append_eos);
  CHECK_FALSE(c.format.chat_layout.has_value());
  CHECK(c.optimizer.name == "adamw");
  CHECK(c.training.kl_coef == 0.0);
  CHECK(c.schedule.total_steps == c.training.steps);
  CHECK(c.schedule.peak == c.optimizer.adamw.learning_rate);
}

TEST_CASE("every section of a fine-tuning config is read, and --set overrides it") {
  json config = minimal();
  config["data"]["eval"] = "eval.jsonl";
  config["data"]["chat_layout"] = "chatml";
  config["data"]["append_eos"] = false;
  config["optimizer"] = {{"name", "adamw"}, {"lr", 1e-3}, {"grad_clip", 0.5}, {"weight_decay", 0.01}};
  config["schedule"] = {{"decay", "linear"}, {"warmup_steps", 5}, {"min_lr", 1e-5}};
  config["training"] = {{"steps", 50}, {"batch_size", 8}, {"grad_accum_steps", 2}, {"seed", 4}, {"log_interval", 5}};
  config["kl"] = {{"coef", 0.1}};
  config["eval"] = {{"interval", 10}, {"examples", 20}, {"max_new_tokens", 4}};
  config["output_dir"] = "runs/sft-test";
  apply_overrides(config, {"training.steps=60", "kl.coef=0.2"});
  const SftConfig c = sft_config_from_json(config, "sft.json");
  CHECK(c.eval_data == "eval.jsonl");
  CHECK(c.format.chat_layout == tokenizer::ChatLayout::kChatMl);
  CHECK_FALSE(c.format.append_eos);
  CHECK(c.optimizer.adamw.learning_rate == 1e-3);
  CHECK(c.schedule.peak == 1e-3);
  CHECK(c.training.grad_clip == 0.5);
  CHECK(c.schedule.shape == DecayShape::Linear);
  CHECK(c.schedule.warmup_steps == 5);
  CHECK(c.schedule.floor == 1e-5);
  CHECK(c.training.steps == 60);
  CHECK(c.schedule.total_steps == 60);
  CHECK(c.training.batch_size == 8);
  CHECK(c.training.grad_accum_steps == 2);
  CHECK(c.training.seed == 4);
  CHECK(c.training.kl_coef == 0.2);
  CHECK(c.eval_interval == 10);
  CHECK(c.eval_examples == 20);
  CHECK(c.max_new_tokens == 4);
  CHECK(c.output_dir == "runs/sft-test");
}

TEST_CASE("fine-tuning config errors name the file and the key") {
  json unknown = minimal();
  unknown["trainig"] = json::object();
  CHECK(config_error(unknown).find("sft.json: unknown key \"trainig\"") != std::string::npos);
  json unknown_inner = minimal();
  unknown_inner["training"] = {{"stepz", 3}};
  CHECK(config_error(unknown_inner).find("sft.json: unknown key \"training.stepz\"") != std::string::npos);
  json wrong_type = minimal();
  wrong_type["training"] = {{"steps", "many"}};
  CHECK(config_error(wrong_type).find("\"training.steps\" must be an integer, got \"many\"") != std::string::npos);
  json no_train = minimal();
  no_train["data"] = {{"eval", "e.jsonl"}};
  CHECK(config_error(no_train).find("sft.json: \"data.train\"") != std::string::npos);
  CHECK(config_error({{"data", {{"train", "t.jsonl"}}}}).find("sft.json: \"model\"") != std::string::npos);
  json layout = minimal();
  layout["data"]["chat_layout"] = "vicuna";
  CHECK(config_error(layout).find("\"data.chat_layout\": unknown chat layout 'vicuna'") != std::string::npos);
  json negative = minimal();
  negative["kl"] = {{"coef", -1}};
  CHECK(config_error(negative).find("\"kl.coef\" must not be negative") != std::string::npos);
  json eos = minimal();
  eos["data"]["append_eos"] = 1;
  CHECK(config_error(eos).find("\"data.append_eos\" must be true or false") != std::string::npos);
}

TEST_CASE("generated additions are right, seeded, and hold out problems never trained on") {
  const SftTaskSplit split = make_sft_task("addition", 500, 100, 42);
  REQUIRE(split.train.size() == 500);
  REQUIRE(split.eval.size() == 100);
  std::set<std::string> train_prompts;
  for (const SftRecord& r : split.train) {
    const size_t plus = r.prompt.find('+');
    const int a = std::stoi(r.prompt.substr(0, plus)), b = std::stoi(r.prompt.substr(plus + 1));
    CHECK(r.prompt.back() == '=');
    CHECK((a >= 10 && a <= 99 && b >= 10 && b <= 99));
    CHECK(r.response == std::to_string(a + b));
    train_prompts.insert(r.prompt);
  }
  CHECK(train_prompts.size() == 500);
  for (const SftRecord& r : split.eval) CHECK(train_prompts.count(r.prompt) == 0);
  CHECK(make_sft_task("addition", 500, 100, 42).eval[7].prompt == split.eval[7].prompt);
  CHECK(make_sft_task("addition", 500, 100, 43).eval[0].prompt != split.eval[0].prompt);

  const SftTaskSplit words = make_sft_task("reverse", 50, 10, 1);
  for (const SftRecord& r : words.train) {
    const std::string word = r.prompt.substr(0, r.prompt.size() - 2);
    CHECK(r.prompt.ends_with("->"));
    CHECK(std::string(word.rbegin(), word.rend()) == r.response);
  }
  CHECK(error_of([] { make_sft_task("addition", 95, 10, 0, 1); }).find("only 100 distinct problems") != std::string::npos);
  CHECK(error_of([] { make_sft_task("multiplication", 1, 1, 0); }).find("unknown task 'multiplication'") !=
        std::string::npos);
}

}  // namespace bytegrad::train
