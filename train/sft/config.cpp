#include "train/sft/config.h"

#include <fstream>
#include <set>

#include "base/error.h"
#include "train/config_section.h"
#include "train/run_config.h"

namespace bytegrad::train {
namespace {

using nlohmann::json;

void read_data(const json& config, const std::string& source, SftConfig& sft) {
  const ConfigSection s(config, "data", source, {"train", "eval", "append_eos", "chat_layout"});
  BYTEGRAD_CHECK(config.contains("data") && config["data"].contains("train"), source,
                 ": \"data.train\" (a JSONL file of prompt/response or messages examples) is required");
  s.read("train", sft.train_data);
  s.read("eval", sft.eval_data);
  s.read("append_eos", sft.format.append_eos);
  std::string layout;
  s.read("chat_layout", layout);
  if (layout.empty()) return;
  try {
    sft.format.chat_layout = tokenizer::chat_layout_from_name(layout);
  } catch (const std::runtime_error& e) {
    throw Error(source + ": \"data.chat_layout\": " + e.what());
  }
}

void read_loop(const json& config, const std::string& source, SftConfig& sft) {
  const ConfigSection training(config, "training", source,
                               {"steps", "batch_size", "grad_accum_steps", "seed", "log_interval", "on_nonfinite"});
  training.read("steps", sft.training.steps);
  training.read("batch_size", sft.training.batch_size);
  training.read("grad_accum_steps", sft.training.grad_accum_steps);
  training.read("seed", sft.training.seed);
  training.read("log_interval", sft.log_interval);
  std::string on_nonfinite = "stop";
  training.read("on_nonfinite", on_nonfinite);
  sft.training.on_nonfinite = parse_nonfinite_policy(on_nonfinite, source);
  check_positive(source, "training.steps", double(sft.training.steps));
  check_positive(source, "training.batch_size", double(sft.training.batch_size));
  check_positive(source, "training.grad_accum_steps", double(sft.training.grad_accum_steps));
  check_positive(source, "training.log_interval", double(sft.log_interval));
  sft.schedule.total_steps = sft.training.steps;

  const ConfigSection kl(config, "kl", source, {"coef"});
  kl.read("coef", sft.training.kl_coef);
  BYTEGRAD_CHECK(sft.training.kl_coef >= 0, source, ": \"kl.coef\" must not be negative, got ", sft.training.kl_coef);

  const ConfigSection eval(config, "eval", source, {"interval", "examples", "max_new_tokens"});
  eval.read("interval", sft.eval_interval);
  eval.read("examples", sft.eval_examples);
  eval.read("max_new_tokens", sft.max_new_tokens);
  BYTEGRAD_CHECK(sft.eval_interval >= 0 && sft.eval_examples >= 0, source,
                 ": \"eval.interval\" and \"eval.examples\" must not be negative");
  check_positive(source, "eval.max_new_tokens", double(sft.max_new_tokens));
}

}  // namespace

SftConfig sft_config_from_json(const json& config, const std::string& source) {
  BYTEGRAD_CHECK(config.is_object(), source, ": a fine-tuning config must be a JSON object");
  static const std::set<std::string> sections = {"model", "data", "optimizer", "schedule", "training",
                                                 "kl",    "eval", "output_dir", "device", "matmul_precision"};
  for (const auto& [key, v] : config.items())
    BYTEGRAD_CHECK(sections.count(key), source, ": unknown key \"", key, "\" (expected one of: ", join_keys(sections), ")");
  BYTEGRAD_CHECK(config.contains("model") && config["model"].is_string(), source,
                 ": \"model\" (the directory of the model to fine-tune) is required and must be a string");
  SftConfig sft;
  sft.model = config["model"].get<std::string>();
  read_data(config, source, sft);
  read_optimizer_section(config, source, sft.optimizer, sft.training.grad_clip);
  sft.schedule.peak = sft.optimizer.learning_rate();
  read_schedule_section(config, source, sft.schedule);
  read_loop(config, source, sft);
  if (config.contains("output_dir")) {
    BYTEGRAD_CHECK(config["output_dir"].is_string(), source, ": \"output_dir\" must be a string");
    sft.output_dir = config["output_dir"].get<std::string>();
  }
  sft.device = read_device(config, source);
  sft.matmul_precision = read_matmul_precision(config, source);
  return sft;
}

SftConfig load_sft_config(const std::filesystem::path& path, const std::vector<std::string>& overrides, json& resolved) {
  std::ifstream in(path);
  BYTEGRAD_CHECK(in.good(), "config: cannot read '", path.string(), "'");
  resolved = json::parse(in, nullptr, false);
  BYTEGRAD_CHECK(!resolved.is_discarded(), "config: '", path.string(), "' is not valid JSON");
  apply_overrides(resolved, overrides);
  return sft_config_from_json(resolved, path.string());
}

}  // namespace bytegrad::train
