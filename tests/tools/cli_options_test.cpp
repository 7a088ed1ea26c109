// The command line of `bytegrad` as its option tables (tools/command_specs.cpp) declare it: every
// subcommand's --help names every option it accepts, every unknown option gives the same error,
// --version prints the project version, and the parser reads defaults, aliases and repeats.
#include <doctest/doctest.h>

#include <sys/wait.h>

#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>

#include "bytegrad.h"
#include "io/model_directory.h"
#include "nn/llama.h"
#include "tokenizer/bpe_trainer.h"
#include "tokenizer/load.h"
#include "tests/cli_runner.h"
#include "train/metrics.h"
#include "tests/tiny_llama.h"
#include "tools/command_specs.h"

namespace bytegrad::tools {
namespace {

namespace fs = std::filesystem;

using testing::CommandResult;
using testing::read_whole_file;

fs::path scratch(const std::string& name) { return testing::cli_scratch("tools_tests", name); }

// Runs `bytegrad ARGUMENTS` with an empty stdin.
CommandResult run_bytegrad(const std::string& arguments) { return testing::run_bytegrad(arguments, "", "tools_tests"); }

bool contains(const std::string& text, const std::string& part) { return text.find(part) != std::string::npos; }

// The message of what `body` throws, or "" when it returns.
template <typename Body>
std::string error_of(Body&& body) {
  try {
    body();
  } catch (const std::exception& e) {
    return e.what();
  }
  return "";
}

TEST_CASE("every subcommand's --help and -h exit 0 and name every option it declares") {
  for (const CommandSpec& spec : command_specs()) {
    for (const char* help : {"--help", "-h"}) {
      INFO(spec.name << " " << help);
      const CommandResult run = run_bytegrad(spec.name + " " + help);
      CHECK(run.status == 0);
      CHECK(contains(run.out, "usage: " + spec.usage));
      CHECK(contains(run.out, spec.example));
      for (const OptionSpec& option : spec.options) {
        CHECK_MESSAGE(contains(run.out, option.name), option.name);
        if (!option.alias.empty()) CHECK_MESSAGE(contains(run.out, option.alias), option.alias);
        if (!option.default_value.empty()) CHECK(contains(run.out, "(default: " + option.default_value + ")"));
      }
    }
  }
}

TEST_CASE("every subcommand names an unknown option in one error style and exits 2") {
  for (const CommandSpec& spec : command_specs()) {
    INFO(spec.name);
    const CommandResult run = run_bytegrad(spec.name + " --no-such-option");
    CHECK(run.status == 2);
    CHECK(run.err == "bytegrad " + spec.name + ": unknown option '--no-such-option' (see bytegrad " + spec.name +
                         " --help)\n");
  }
}

TEST_CASE("bytegrad --help, -h and no arguments list every subcommand") {
  for (const char* arguments : {"--help", "-h", ""}) {
    INFO("'" << arguments << "'");
    const CommandResult run = run_bytegrad(arguments);
    CHECK(run.status == (std::string(arguments).empty() ? 2 : 0));
    for (const CommandSpec& spec : command_specs())
      if (!contains(spec.name, " ")) CHECK_MESSAGE(contains(run.out, "  " + spec.name + " "), spec.name);
  }
}

TEST_CASE("bytegrad --version prints the project version") {
  const CommandResult run = run_bytegrad("--version");
  CHECK(run.status == 0);
  CHECK(run.out == "bytegrad " BYTEGRAD_VERSION "\n");
}

TEST_CASE("an unknown command points to bytegrad --help") {
  const CommandResult run = run_bytegrad("trian");
  CHECK(run.status == 2);
  CHECK(run.err == "bytegrad: unknown command 'trian' (see bytegrad --help)\n");
}

TEST_CASE("the parser gives defaults, resolves aliases, keeps repeats and lets the last value win") {
  const Options plot = parse_options(command_spec("plot"), {"m.jsonl", "-o", "a.svg", "--output", "b.svg"});
  CHECK(plot.positional() == "m.jsonl");
  CHECK(plot.get("--output") == "b.svg");
  CHECK_FALSE(plot.value("--title"));
  const Options defaults = parse_options(command_spec("plot"), {"m.jsonl"});
  CHECK(defaults.get("--output") == "loss.svg");
  const Options train = parse_options(command_spec("train"), {"--config", "c.json", "--set", "a=1", "--set", "b=2"});
  CHECK(train.values("--set") == std::vector<std::string>{"a=1", "b=2"});
  CHECK(parse_options(command_spec("generate"), {"--model", "m", "--prompt", "p", "--echo"}).flag("--echo"));
}

TEST_CASE("the parser names a missing value, a missing required option and a stray argument") {
  const auto error = [](const std::string& command, const Args& args) {
    return error_of([&] { parse_options(command_spec(command), args); });
  };
  CHECK(error("export", {"--out"}) == "bytegrad export: option --out needs a value PATH (see bytegrad export --help)");
  CHECK(error("export", {"--checkpoint", "x"}) ==
        "bytegrad export: missing required option --out PATH (see bytegrad export --help)");
  CHECK(error("plot", {}) == "bytegrad plot: missing METRICS.jsonl (see bytegrad plot --help)");
  CHECK(error("plot", {"a", "b"}) == "bytegrad plot: unexpected argument 'b' (see bytegrad plot --help)");
  CHECK(contains(error_of([] { parse_options(command_spec("info"), {}).value("--prompt"); }),
                 "does not declare"));
}

TEST_CASE("bytegrad summary counts the parameters Module::parameter_count() counts") {
  for (const char* type : {"llama", "gpt2"}) {
    INFO(type);
    const fs::path dir = scratch(std::string("summary_") + type);
    nn::ModelConfig config;
    config.vocab_size = 97;
    config.hidden_size = 32;
    config.num_hidden_layers = 2;
    config.num_attention_heads = 4;
    config.intermediate_size = 48;
    config.max_position_embeddings = 64;
    Generator generator(3);
    const std::unique_ptr<nn::CausalLM> model = nn::build_causal_lm(type, config, generator);
    io::save_pretrained_model(dir, *model, nullptr);

    const CommandResult run = run_bytegrad("summary --model '" + dir.string() + "' --batch 2 --seq-len 16");
    REQUIRE_MESSAGE(run.status == 0, run.err);
    const std::string count = std::to_string(model->parameter_count());
    std::string with_commas = count;
    for (int64_t at = int64_t(with_commas.size()) - 3; at > 0; at -= 3) with_commas.insert(size_t(at), ",");
    CHECK_MESSAGE(contains(run.out, "parameters: " + with_commas + " ("), run.out);
    CHECK(contains(run.out, std::string("architecture: ") + type));
    CHECK(contains(run.out, "at batch 2 x 16 tokens"));
  }
}

TEST_CASE("bytegrad soft-tokenizer train writes the encoder, the metrics and a report generate can use") {
  const fs::path dir = scratch("soft_tokenizer");
  std::vector<std::string> lines;
  for (int i = 0; i < 40; ++i) lines.push_back("the cat sat on the mat, the dog sat on the log " + std::to_string(i));
  tokenizer::write_tokenizer_json(
      tokenizer::train_byte_level_bpe(lines, {.vocab_size = 290, .special_tokens = {"<|endoftext|>"}}),
      dir / "tokenizer.json");
  const tokenizer::Tokenizer tok = tokenizer::load_hf_tokenizer_json(dir / "tokenizer.json");
  Generator generator(1);
  nn::Llama host(testing::tiny_llama_config(int64_t(tok.vocab_size()), 16, 32), generator);
  io::save_pretrained_model(dir / "host", host, &tok);
  std::ofstream(dir / "text.txt") << [&] {
    std::string text;
    for (const std::string& line : lines) text += line + "\n%\n";
    return text;
  }();

  const std::string settings =
      " --set training.steps=6 --set training.batch_size=16 --set training.log_interval=2 --set encoder.hidden_size=16"
      " --set training.checkpoint_interval=3"
      " --set encoder.intermediate_size=32 --set encoder.num_hidden_layers=1 --set finetune.steps=2"
      " --set 'host_data={\"paths\": [\"" + (dir / "text.txt").string() + "\"], \"document_delimiter\": \"\\n%\\n\","
      " \"eval_fraction\": 0.1, \"batch_size\": 2, \"seq_len\": 8, \"eval_batches\": 1}'";
  const CommandResult run = run_bytegrad("soft-tokenizer train --model '" + (dir / "host").string() + "' --output '" +
                                         (dir / "run").string() + "' --report '" + (dir / "report.json").string() +
                                         "'" + settings);
  REQUIRE_MESSAGE(run.status == 0, run.err);
  CHECK(contains(run.out, "ETA"));
  const nlohmann::json report = nlohmann::json::parse(read_whole_file(dir / "report.json"));
  for (const char* key : {"nn_accuracy_train", "nn_accuracy_heldout", "host_loss_own_embeddings",
                          "host_loss_soft_embeddings", "host_loss_after_finetune"})
    CHECK_MESSAGE(report.contains(key), key);
  for (const char* file : {"encoder/config.json", "encoder/model.safetensors", "encoder-finetuned/model.safetensors",
                           "metrics.jsonl", "loss.svg", "config.json", "checkpoint-3/model.safetensors",
                           "checkpoint-6/optimizer.safetensors"})
    CHECK_MESSAGE(fs::exists(dir / "run" / file), file);

  // Resuming from checkpoint-3 ends with the uninterrupted run's encoder, every step logged once.
  const std::string uninterrupted = read_whole_file(dir / "run/encoder/model.safetensors");
  fs::remove_all(dir / "run/checkpoint-6");
  const CommandResult resumed = run_bytegrad("soft-tokenizer train --model '" + (dir / "host").string() +
                                             "' --resume '" + (dir / "run").string() + "'");
  REQUIRE_MESSAGE(resumed.status == 0, resumed.err);
  CHECK(contains(resumed.out, "resumed from"));
  CHECK(read_whole_file(dir / "run/encoder/model.safetensors") == uninterrupted);
  std::vector<int64_t> steps;
  for (const train::MetricsRecord& record : train::read_metrics(dir / "run/metrics.jsonl")) steps.push_back(record.step);
  CHECK(steps == std::vector<int64_t>{1, 2, 3, 4, 5, 6});

  const CommandResult generated =
      run_bytegrad("generate --model '" + (dir / "host").string() + "' --soft-encoder '" + (dir / "run/encoder").string() +
                   "' --prompt 'the [[ zqx]] sat' --max-new-tokens 3 --temperature 0");
  CHECK_MESSAGE(generated.status == 0, generated.err);
  const CommandResult unknown = run_bytegrad("soft-tokenizer train --model '" + (dir / "host").string() +
                                             "' --set loss.msee=1 --output '" + (dir / "bad").string() + "'");
  CHECK(unknown.status != 0);
  CHECK_MESSAGE(contains(unknown.err, "msee"), unknown.err);
}

}  // namespace
}  // namespace bytegrad::tools
