// `bytegrad sft-data --task addition|reverse --out DIR [--train N] [--eval N] [--seed S] [--digits D]`
// Writes a generated fine-tuning task (train/sft/tasks.h) as DIR/train.jsonl and DIR/eval.jsonl,
// prompt/response examples whose held-out problems never appear in training.
#include <cstdio>
#include <filesystem>
#include <stdexcept>

#include "tools/command_specs.h"
#include "tools/commands.h"
#include "train/sft/tasks.h"

namespace bytegrad::tools {
namespace {

int64_t parse_count(const std::string& flag, const std::string& value) {
  try {
    size_t used = 0;
    const long long n = std::stoll(value, &used);
    if (used == value.size() && n >= 0) return n;
  } catch (const std::exception&) {
  }
  throw std::runtime_error(flag + " needs a non-negative integer, got '" + value + "'");
}

}  // namespace

int run_sft_data(const Args& args) {
  const Options options = parse_options(command_spec("sft-data"), args);
  const std::string task = options.get("--task"), out = options.get("--out");
  const auto count = [&](const std::string& flag) { return parse_count(flag, options.get(flag)); };
  const int64_t train_count = count("--train"), eval_count = count("--eval"), seed = count("--seed"),
                digits = count("--digits");
  const train::SftTaskSplit split = train::make_sft_task(task, train_count, eval_count, uint64_t(seed), int(digits));
  std::filesystem::create_directories(out);
  const std::filesystem::path train_path = std::filesystem::path(out) / "train.jsonl";
  const std::filesystem::path eval_path = std::filesystem::path(out) / "eval.jsonl";
  train::write_sft_jsonl(train_path, split.train);
  train::write_sft_jsonl(eval_path, split.eval);
  std::printf("%s: %zu training and %zu held-out examples -> %s, %s\n", task.c_str(), split.train.size(),
              split.eval.size(), train_path.c_str(), eval_path.c_str());
  if (!split.train.empty())
    std::printf("e.g. \"%s\" -> \"%s\"\n", split.train[0].prompt.c_str(), split.train[0].response.c_str());
  return 0;
}

}  // namespace bytegrad::tools
