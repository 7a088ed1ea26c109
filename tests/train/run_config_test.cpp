// Training configs: sections and defaults, --set overrides, and errors naming the key.
#include "tests/test_util.h"
#include <filesystem>

#include "tokenizer/bpe_trainer.h"
#include "tokenizer/load.h"
#include "train/run_checks.h"
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

TEST_CASE("\"device\" places a run on a device; the CPU by default, a bad name is an error naming the key") {
  CHECK(run_config_from_json(minimal(), "c.json").device == kCPU);
  nlohmann::json config = minimal();
  apply_overrides(config, {"device=cuda:1"});
  CHECK(run_config_from_json(config, "c.json").device == Device{DeviceKind::CUDA, 1});
  config["device"] = "gpu";
  const std::string error = testing::error_of([&] { run_config_from_json(config, "c.json"); });
  CHECK_MESSAGE(error.find("c.json: \"device\"") != std::string::npos, error);
  CHECK_MESSAGE(error.find("gpu") != std::string::npos, error);
  config["device"] = 0;
  CHECK(testing::error_of([&] { run_config_from_json(config, "c.json"); }).find("must be a string") != std::string::npos);
}

TEST_CASE("\"matmul_precision\" chooses how float32 products on a GPU round; \"highest\" by default") {
  CHECK(run_config_from_json(minimal(), "c.json").matmul_precision == kernels::MatmulPrecision::Highest);
  nlohmann::json config = minimal();
  apply_overrides(config, {"matmul_precision=medium"});
  CHECK(run_config_from_json(config, "c.json").matmul_precision == kernels::MatmulPrecision::Medium);
  config["matmul_precision"] = "bf16";
  const std::string error = testing::error_of([&] { run_config_from_json(config, "c.json"); });
  CHECK_MESSAGE(error.find("c.json: \"matmul_precision\"") != std::string::npos, error);
  CHECK_MESSAGE(error.find("medium") != std::string::npos, error);  // the valid names are listed
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

namespace bytegrad::train {

TEST_CASE("a model too big for the machine is refused before any data is read, with the bytes it needs") {
  nlohmann::json config = minimal();
  config["model"]["num_hidden_layers"] = 1000000000;
  const RunConfig run = run_config_from_json(config, "c.json");
  CHECK(testing::error_of([&] { check_run_before_data(run, "c.json", uint64_t(64) << 30); }) ==
        "c.json: the model would have 1.04e+12 parameters, and training them needs 1.664e+13 bytes "
        "(1.66e+04 GB: weights, gradients and AdamW moments in float32), more than this machine's 68.7 GB of memory");
  CHECK(testing::error_of([&] { check_run_before_data(run_config_from_json(minimal(), "c.json"), "c.json", 1 << 20); })
            .empty());
}

TEST_CASE("a vocabulary whose parameter count overflows is refused before any data is read") {
  nlohmann::json config = minimal();
  config["model"]["vocab_size"] = 144115188075855873;  // times hidden_size 64 wraps around
  config["model"]["hidden_size"] = 64;
  const RunConfig run = run_config_from_json(config, "c.json");
  CHECK(testing::error_of([&] { check_run_before_data(run, "c.json"); }).find("more than 64 bits can count") !=
        std::string::npos);
}

TEST_CASE("a tokenizer other than init_from's model's is named by its first differing token") {
  const auto trained = [](const std::vector<std::string>& texts, size_t vocab_size, const char* name) {
    const std::filesystem::path path = std::filesystem::path(BYTEGRAD_BINARY_DIR) / name;
    tokenizer::BpeTrainerOptions options;
    options.vocab_size = vocab_size;
    tokenizer::write_tokenizer_json(tokenizer::train_byte_level_bpe(texts, options), path);
    return tokenizer::load_hf_tokenizer_json(path);
  };
  const std::vector<std::string> cat_texts(20, "the cat sat on the mat"), dog_texts(20, "a dog dug a big bog");
  const tokenizer::Tokenizer cats = trained(cat_texts, 262, "cats.json");
  const tokenizer::Tokenizer dogs = trained(dog_texts, 262, "dogs.json");
  const tokenizer::Tokenizer more = trained(cat_texts, 264, "more.json");
  CHECK(testing::error_of([&] { check_same_tokenizer(cats, cats, "c.json"); }).empty());
  CHECK(testing::error_of([&] { check_same_tokenizer(dogs, cats, "c.json"); }).rfind("c.json: token 256 is '", 0) == 0);
  CHECK(testing::error_of([&] { check_same_tokenizer(more, cats, "c.json"); }) ==
        "c.json: the data's tokenizer has 264 tokens but init_from's model was trained with a tokenizer of 262; leave "
        "data.bpe_vocab_size and data.tokenizer out to use the model's own");
}

}  // namespace bytegrad::train

namespace bytegrad::train {

TEST_CASE("values outside their range are errors naming the key, not taken silently") {
  const std::pair<const char*, const char*> cases[] = {
      {"optimizer.beta1=2", "\"optimizer.beta1\" must be in [0, 1), got 2"},
      {"optimizer.eps=-1e-8", "\"optimizer.eps\" must not be negative, got -1e-08"},
      {"optimizer.weight_decay=-0.1", "\"optimizer.weight_decay\" must not be negative, got -0.1"},
      {"optimizer.grad_clip=-1", "\"optimizer.grad_clip\" must not be negative, got -1"},
      {"schedule.warmup_steps=-5", "\"schedule.warmup_steps\" must not be negative, got -5"},
      {"eval.interval=-1", "\"eval.interval\" must not be negative, got -1"},
      {"checkpoint.interval=-2", "\"checkpoint.interval\" must not be negative, got -2"},
      {"training.steps=128.5", "\"training.steps\" must be an integer, got 128.5"},
  };
  for (const auto& [override_text, expected] : cases) {
    CAPTURE(override_text);
    nlohmann::json config = minimal();
    apply_overrides(config, {override_text});
    CHECK(testing::error_of([&] { run_config_from_json(config, "c.json"); }) == std::string("c.json: ") + expected);
  }
}

}  // namespace bytegrad::train
