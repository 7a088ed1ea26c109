#include "train/soft_encoder/soft_tokenizer_config.h"

#include "train/config_section.h"

namespace bytegrad::train {
namespace {

HostTextOptions read_host_data(const nlohmann::json& config, const std::string& source) {
  HostTextOptions text;
  const ConfigSection s(config, "host_data", source,
                        {"paths", "document_delimiter", "eval_fraction", "seed", "batch_size", "seq_len", "eval_batches"});
  std::vector<std::string> paths;
  s.read("paths", paths);
  BYTEGRAD_CHECK(!paths.empty(), source, ": \"host_data.paths\" must list the host's text files or directories");
  text.paths.assign(paths.begin(), paths.end());
  s.read("document_delimiter", text.document_delimiter);
  s.read("eval_fraction", text.eval_fraction);
  s.read("seed", text.seed);
  s.read("batch_size", text.batch_size);
  s.read("seq_len", text.seq_len);
  s.read("eval_batches", text.eval_batches);
  check_positive(source, "host_data.batch_size", double(text.batch_size));
  check_positive(source, "host_data.seq_len", double(text.seq_len));
  check_positive(source, "host_data.eval_batches", double(text.eval_batches));
  return text;
}

}  // namespace

SoftTokenizerConfig soft_tokenizer_config_from_json(const nlohmann::json& config, const std::string& source) {
  BYTEGRAD_CHECK(config.is_object(), source, ": the config must be a JSON object");
  static const std::set<std::string> sections = {"encoder",  "data", "loss",      "optimizer", "schedule",
                                                 "training", "plug", "host_data", "finetune",  "output_dir"};
  for (const auto& [key, value] : config.items())
    BYTEGRAD_CHECK(sections.contains(key), source, ": unknown section \"", key, "\" (known: ", join_keys(sections), ")");
  SoftTokenizerConfig out;
  if (config.contains("encoder")) out.encoder = config["encoder"];
  BYTEGRAD_CHECK(out.encoder.is_object(), source, ": \"encoder\" must be an object");
  BYTEGRAD_CHECK(!out.encoder.contains("output_size"), source, ": encoder.output_size comes from the host");

  const ConfigSection data(config, "data", source, {"true_bytes", "heldout_fraction", "seed"});
  data.read("true_bytes", out.data.true_bytes);
  data.read("heldout_fraction", out.data.heldout_fraction);
  data.read("seed", out.data.seed);

  out.loss = read_loss_section(config, source);
  out.optimizer.adamw.learning_rate = 1e-3;
  out.optimizer.adamw.beta2 = 0.95;
  out.optimizer.adamw.weight_decay = 0.1;
  read_optimizer_section(config, source, out.optimizer, out.training.grad_clip);
  out.schedule.warmup_steps = 50;
  read_schedule_section(config, source, out.schedule);
  if (!config.contains("schedule") || !config["schedule"].contains("min_lr"))
    out.schedule.floor = out.optimizer.learning_rate() / 10;

  const ConfigSection training(config, "training", source,
                               {"steps", "batch_size", "log_interval", "eval_interval", "checkpoint_interval", "seed"});
  training.read("steps", out.training.steps);
  training.read("batch_size", out.training.batch_size);
  training.read("log_interval", out.log_interval);
  training.read("eval_interval", out.eval_interval);
  training.read("checkpoint_interval", out.checkpoint_interval);
  training.read("seed", out.training.seed);
  check_positive(source, "training.steps", double(out.training.steps));
  check_positive(source, "training.batch_size", double(out.training.batch_size));
  check_positive(source, "training.log_interval", double(out.log_interval));
  out.schedule.peak = out.optimizer.learning_rate();
  out.schedule.total_steps = out.training.steps;

  const ConfigSection plug(config, "plug", source, {"rescale_norms"});
  plug.read("rescale_norms", out.rescale_norms);
  if (config.contains("host_data")) out.host_data = read_host_data(config, source);

  const ConfigSection finetune(config, "finetune", source, {"steps", "lr", "warmup_steps", "freeze_host", "grad_clip"});
  finetune.read("steps", out.finetune.steps);
  finetune.read("lr", out.finetune.learning_rate);
  finetune.read("warmup_steps", out.finetune.warmup_steps);
  finetune.read("freeze_host", out.finetune.freeze_host);
  finetune.read("grad_clip", out.finetune.grad_clip);
  BYTEGRAD_CHECK(out.finetune.steps == 0 || out.host_data, source,
                 ": finetune.steps needs a \"host_data\" section (the host's text)");
  if (config.contains("output_dir")) {
    BYTEGRAD_CHECK(config["output_dir"].is_string(), source, ": \"output_dir\" must be a string");
    out.output_dir = config["output_dir"].get<std::string>();
  }
  return out;
}

}  // namespace bytegrad::train
