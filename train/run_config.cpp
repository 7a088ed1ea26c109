#include "train/run_config.h"

#include <fstream>
#include <set>

#include "base/error.h"
#include "train/config_section.h"
#include "io/json_file.h"
#include "io/model_directory.h"

namespace bytegrad::train {
namespace {

using nlohmann::json;

// data.`key`, a non-empty list of strings (`what` names them in errors, e.g. "paths").
std::vector<std::string> read_strings(const json& config, const char* key, const std::string& source,
                                      const char* what = "paths") {
  std::vector<std::string> out;
  if (!config["data"].contains(key)) return out;
  const json& list = config["data"][key];
  BYTEGRAD_CHECK(list.is_array() && !list.empty(), source, ": \"data.", key, "\" must be a non-empty list of ", what);
  for (const json& p : list) {
    BYTEGRAD_CHECK(p.is_string(), source, ": \"data.", key, "\" entries must be strings, got ", p.dump());
    out.push_back(p.get<std::string>());
  }
  return out;
}

// The data section of a T-Free run: text (paths or a MemoryMap), split into words; no tokenizer.
void read_word_data(const json& config, const std::string& source, DataConfig& data) {
  const ConfigSection s(config, "data", source,
                        {"paths", "memory_map", "segments", "eval_segments", "document_delimiter", "eval_fraction",
                         "dictionary_words"});
  const auto has = [&](const char* key) { return config.contains("data") && config["data"].contains(key); };
  BYTEGRAD_CHECK(int(has("paths")) + int(has("memory_map")) + int(has("segments")) == 1, source,
                 ": a T-Free run reads words from text: give one of \"data.paths\" (text files or directories), "
                 "\"data.memory_map\" (the prefix of a MemoryMap that `bytegrad prep` wrote) and \"data.segments\" "
                 "(JSONL lists of segments with has_loss, for fine-tuning)");
  s.read("segments", data.segments);
  s.read("eval_segments", data.eval_segments);
  BYTEGRAD_CHECK(data.eval_segments.empty() || !data.segments.empty(), source,
                 ": \"data.eval_segments\" needs \"data.segments\"");
  for (const std::string& p : read_strings(config, "paths", source)) data.corpus.paths.emplace_back(p);
  s.read("memory_map", data.memory_map);
  s.read("document_delimiter", data.corpus.document_delimiter);
  s.read("eval_fraction", data.eval_fraction);
  s.read("dictionary_words", data.dictionary_words);
  BYTEGRAD_CHECK(data.eval_fraction >= 0 && data.eval_fraction < 1, source,
                 ": \"data.eval_fraction\" must be in [0, 1), got ", data.eval_fraction);
  check_positive(source, "data.dictionary_words", double(data.dictionary_words));
}

void read_data(const json& config, const std::string& source, bool has_init_model, DataConfig& data) {
  const ConfigSection s(config, "data", source,
                  {"paths", "shards", "eval_shards", "document_delimiter", "tokenizer", "bpe_vocab_size", "eval_fraction",
                   "special_tokens", "chat_template"});
  BYTEGRAD_CHECK(config.contains("data") && (config["data"].contains("paths") || config["data"].contains("shards")),
                 source, ": \"data.paths\" (a list of text files or directories) or \"data.shards\" (token shards) is "
                 "required");
  for (const std::string& p : read_strings(config, "paths", source)) data.corpus.paths.emplace_back(p);
  data.shards = read_strings(config, "shards", source);
  data.eval_shards = read_strings(config, "eval_shards", source);
  BYTEGRAD_CHECK(data.corpus.paths.empty() || data.shards.empty(), source,
                 ": give \"data.paths\" (text) or \"data.shards\" (tokens), not both");
  BYTEGRAD_CHECK(data.eval_shards.empty() || !data.shards.empty(), source,
                 ": \"data.eval_shards\" needs \"data.shards\"");
  s.read("document_delimiter", data.corpus.document_delimiter);
  s.read("tokenizer", data.tokenizer);
  s.read("bpe_vocab_size", data.bpe_vocab_size);
  s.read("eval_fraction", data.eval_fraction);
  if (!data.shards.empty()) {
    BYTEGRAD_CHECK(data.bpe_vocab_size == 0, source,
                   ": \"data.bpe_vocab_size\" trains a tokenizer on text; shards are tokenized already (give "
                   "\"data.tokenizer\", or none to use the tokenizer.json beside the first shard)");
  } else if (has_init_model && data.tokenizer.empty() && data.bpe_vocab_size == 0) {
    // the pretrained model's tokenizer, filled in by run_config_from_json
  } else {
    BYTEGRAD_CHECK(data.tokenizer.empty() != (data.bpe_vocab_size == 0), source,
                   ": give exactly one of \"data.tokenizer\" (a tokenizer path) and \"data.bpe_vocab_size\" "
                   "(train a byte-level BPE of that size)");
  }
  data.special_tokens = read_strings(config, "special_tokens", source, "token strings");
  s.read("chat_template", data.chat_template);
  BYTEGRAD_CHECK((data.special_tokens.empty() && data.chat_template.empty()) || data.bpe_vocab_size > 0, source,
                 ": \"data.special_tokens\" and \"data.chat_template\" add tokens to the BPE that "
                 "\"data.bpe_vocab_size\" trains; a loaded tokenizer keeps its own");
  BYTEGRAD_CHECK(data.chat_template.empty() || data.chat_template == "chatml" || data.chat_template == "llama3",
                 source, ": \"data.chat_template\" must be \"chatml\" or \"llama3\" (the layouts with markers to "
                 "add), got \"", data.chat_template, "\"");
  BYTEGRAD_CHECK(data.eval_fraction >= 0 && data.eval_fraction < 1, source,
                 ": \"data.eval_fraction\" must be in [0, 1), got ", data.eval_fraction);
}

// The model section: the config's, or init_from's config.json with the config's fields over it.
void read_model(const json& config, const std::string& source, RunConfig& run) {
  if (config.contains("init_from")) {
    BYTEGRAD_CHECK(config["init_from"].is_string(), source, ": \"init_from\" must be a model directory path");
    run.init_from = config["init_from"].get<std::string>();
    const std::filesystem::path config_path = run.init_from / "config.json";
    BYTEGRAD_CHECK(std::filesystem::exists(config_path), source, ": \"init_from\": ", config_path.string(),
                   " does not exist (expected a model directory with config.json and model.safetensors)");
    run.model = io::read_json(config_path.string());
    run.model_type = nn::model_family_of(run.model, config_path.string()).model_type;
    run.model.erase("model_type");
    if (config.contains("model")) {
      BYTEGRAD_CHECK(config["model"].is_object(), source, ": \"model\" must be an object");
      for (const auto& [key, value] : config["model"].items()) {
        BYTEGRAD_CHECK(key != "model_type" || value == run.model_type, source, ": \"model.model_type\" ", value.dump(),
                       " differs from init_from's \"", run.model_type, "\"");
        if (key != "model_type") run.model[key] = value;
      }
    }
    return;
  }
  BYTEGRAD_CHECK(config.contains("model") && config["model"].is_object(), source,
                 ": \"model\" (an object of Hugging Face config fields) or \"init_from\" (a model directory) is required");
  run.model = config["model"];
  if (run.model.contains("model_type")) {
    BYTEGRAD_CHECK(run.model["model_type"].is_string(), source, ": \"model.model_type\" must be a string");
    run.model_type = run.model["model_type"].get<std::string>();
    run.model.erase("model_type");
  }
  try {
    nn::model_family(run.model_type);
  } catch (const Error& e) {
    throw Error(concat(source, ": \"model.model_type\": ", e.what()));
  }
}

void read_loop(const json& config, const std::string& source, RunConfig& run) {
  const ConfigSection training(config, "training", source,
                               {"steps", "batch_size", "seq_len", "grad_accum_steps", "seed", "log_interval", "on_nonfinite"});
  training.read("steps", run.trainer.steps);
  training.read("batch_size", run.batch_size);
  training.read("seq_len", run.seq_len);
  training.read("grad_accum_steps", run.trainer.grad_accum_steps);
  training.read("seed", run.trainer.seed);
  training.read("log_interval", run.log_interval);
  std::string on_nonfinite = "stop";
  training.read("on_nonfinite", on_nonfinite);
  run.trainer.on_nonfinite = parse_nonfinite_policy(on_nonfinite, source);
  check_positive(source, "training.steps", double(run.trainer.steps));
  check_positive(source, "training.batch_size", double(run.batch_size));
  check_positive(source, "training.seq_len", double(run.seq_len));
  check_positive(source, "training.grad_accum_steps", double(run.trainer.grad_accum_steps));
  check_positive(source, "training.log_interval", double(run.log_interval));
  run.schedule.total_steps = run.trainer.steps;

  const ConfigSection eval(config, "eval", source, {"interval", "batches"});
  eval.read("interval", run.trainer.eval_interval);
  eval.read("batches", run.trainer.eval_batches);
  const ConfigSection sample(config, "sample", source, {"interval", "tokens", "temperature", "prompt"});
  sample.read("interval", run.trainer.sample_interval);
  sample.read("tokens", run.trainer.sample_tokens);
  sample.read("temperature", run.trainer.sample_temperature);
  sample.read("prompt", run.sample_prompt);
  const ConfigSection checkpoint(config, "checkpoint", source, {"interval", "keep_last"});
  checkpoint.read("interval", run.trainer.checkpoint_interval);
  checkpoint.read("keep_last", run.keep_last_checkpoints);
  check_positive(source, "checkpoint.keep_last", double(run.keep_last_checkpoints));
  check_not_negative(source, "checkpoint.interval", double(run.trainer.checkpoint_interval));
  check_not_negative(source, "eval.interval", double(run.trainer.eval_interval));
  check_not_negative(source, "eval.batches", double(run.trainer.eval_batches));
  check_not_negative(source, "sample.interval", double(run.trainer.sample_interval));
  check_not_negative(source, "sample.tokens", double(run.trainer.sample_tokens));
  check_not_negative(source, "sample.temperature", run.trainer.sample_temperature);

  const ConfigSection distributed(config, "distributed", source, {"bucket_mb", "zero_stage"});
  distributed.read("bucket_mb", run.distributed.bucket_mb);
  distributed.read("zero_stage", run.distributed.zero_stage);
  check_positive(source, "distributed.bucket_mb", run.distributed.bucket_mb);
  BYTEGRAD_CHECK(run.distributed.zero_stage == 0 || run.distributed.zero_stage == 1 || run.distributed.zero_stage == 3,
                 source, ": \"distributed.zero_stage\" is ", run.distributed.zero_stage,
                 "; expected 0 (replicated), 1 (optimizer moments sharded) or 3 (parameters sharded too)");
}

}  // namespace

void apply_overrides(json& config, const std::vector<std::string>& overrides) {
  for (const std::string& item : overrides) {
    const size_t equals = item.find('=');
    BYTEGRAD_CHECK(equals != std::string::npos && equals > 0, "--set '", item, "': expected KEY=VALUE, e.g. training.steps=100");
    json* node = &config;
    std::string key = item.substr(0, equals);
    for (size_t dot; (dot = key.find('.')) != std::string::npos; key = key.substr(dot + 1)) {
      node = &(*node)[key.substr(0, dot)];
      BYTEGRAD_CHECK(node->is_object() || node->is_null(), "--set '", item, "': '", key.substr(0, dot), "' is not a section");
    }
    const std::string text = item.substr(equals + 1);
    const json value = json::parse(text, nullptr, false);
    (*node)[key] = value.is_discarded() ? json(text) : value;
  }
}

namespace {

// `json` without the members whose value is null, at every depth: a null value means the key is
// absent, so that an override can remove one (--set data.paths=null).
json without_nulls(const json& value) {
  if (!value.is_object()) return value;
  json kept = json::object();
  for (const auto& [key, member] : value.items())
    if (!member.is_null()) kept[key] = without_nulls(member);
  return kept;
}

}  // namespace

RunConfig run_config_from_json(const json& given, const std::string& source) {
  BYTEGRAD_CHECK(given.is_object(), source, ": a training config must be a JSON object");
  const json config = without_nulls(given);
  static const std::set<std::string> sections = {"model", "init_from", "data", "optimizer", "schedule", "training",
                                                 "eval", "sample", "checkpoint", "distributed", "output_dir", "device", "matmul_precision"};
  for (const auto& [key, v] : config.items())
    BYTEGRAD_CHECK(sections.count(key), source, ": unknown key \"", key,
                   "\" (expected model, init_from, data, optimizer, schedule, training, eval, sample, checkpoint, "
                   "distributed, output_dir, device, matmul_precision)");
  RunConfig run;
  read_model(config, source, run);
  if (run.model_type == "tfree") read_word_data(config, source, run.data);
  else read_data(config, source, !run.init_from.empty(), run.data);
  if (!run.init_from.empty() && run.data.tokenizer.empty() && run.data.bpe_vocab_size == 0)
    run.data.tokenizer = run.init_from.string();
  read_optimizer_section(config, source, run.optimizer, run.trainer.grad_clip);
  run.schedule.peak = run.optimizer.learning_rate();
  read_schedule_section(config, source, run.schedule);
  read_loop(config, source, run);
  if (config.contains("output_dir")) {
    BYTEGRAD_CHECK(config["output_dir"].is_string(), source, ": \"output_dir\" must be a string");
    run.output_dir = config["output_dir"].get<std::string>();
  }
  run.device = read_device(config, source);
  run.matmul_precision = read_matmul_precision(config, source);
  return run;
}

json load_run_config_json(const std::filesystem::path& path, const std::vector<std::string>& overrides) {
  std::ifstream in(path);
  BYTEGRAD_CHECK(in.good(), "config: cannot read '", path.string(), "'");
  json config = json::parse(in, nullptr, false);
  BYTEGRAD_CHECK(!config.is_discarded(), "config: '", path.string(), "' is not valid JSON");
  apply_overrides(config, overrides);
  return config;
}

RunConfig load_run_config(const std::filesystem::path& path, const std::vector<std::string>& overrides,
                          json& resolved) {
  resolved = load_run_config_json(path, overrides);
  return run_config_from_json(resolved, path.string());
}

}  // namespace bytegrad::train
