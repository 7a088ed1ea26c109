// `bytegrad sft-data --task addition|reverse --out DIR [--train N] [--eval N] [--seed S] [--digits D]`
// Writes a generated fine-tuning task (train/sft/tasks.h) as DIR/train.jsonl and DIR/eval.jsonl,
// prompt/response examples whose held-out problems never appear in training.
#include <cstdio>
#include <filesystem>
#include <stdexcept>

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
  std::string task, out;
  int64_t train_count = 4000, eval_count = 200, seed = 0, digits = 2;
  for (size_t i = 0; i < args.size(); i += 2) {
    const std::string& flag = args[i];
    if (i + 1 >= args.size()) throw std::runtime_error(flag + " needs a value");
    const std::string& value = args[i + 1];
    if (flag == "--task") task = value;
    else if (flag == "--out") out = value;
    else if (flag == "--train") train_count = parse_count(flag, value);
    else if (flag == "--eval") eval_count = parse_count(flag, value);
    else if (flag == "--seed") seed = parse_count(flag, value);
    else if (flag == "--digits") digits = parse_count(flag, value);
    else throw std::runtime_error("unknown option '" + flag + "' (expected --task, --out, --train, --eval, --seed, --digits)");
  }
  if (task.empty() || out.empty()) throw std::runtime_error("missing required options --task addition|reverse --out DIR");
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
