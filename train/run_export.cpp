#include "train/run_export.h"

#include "base/error.h"
#include "nn/model_family.h"
#include "tensor/generator.h"
#include "tokenizer/byte_level_bpe.h"
#include "tokenizer/load.h"
#include "train/checkpoint.h"
#include "train/data/corpus_tokens.h"
#include "io/json_file.h"
#include "io/llama2c_export.h"
#include "io/model_directory.h"
#include "io/tokenizer_export.h"
#include "train/training_checkpoint.h"

namespace bytegrad::train {
namespace fs = std::filesystem;
namespace {

// The vocabulary size a checkpoint's token embedding says.
int64_t embedding_rows(const io::TensorMap& weights, const fs::path& checkpoint) {
  for (const char* name : {"model.embed_tokens.weight", "transformer.wte.weight"}) {
    const auto found = weights.find(name);
    if (found != weights.end() && found->second.dim() == 2) return found->second.shape()[0];
  }
  throw Error(concat(checkpoint.string(), ": no token embedding (model.embed_tokens.weight or transformer.wte.weight) "
                     "to take vocab_size from"));
}

}  // namespace

nn::ModelConfig run_model_config(const nlohmann::json& model, int64_t vocab_size, const std::string& source) {
  nlohmann::json json = model;
  if (!json.contains("vocab_size")) json["vocab_size"] = vocab_size;
  return nn::model_config_from_json(json, source);
}

StartingModel starting_model(const RunConfig& config, int64_t vocab_size, const std::string& source) {
  manual_seed(config.trainer.seed);
  StartingModel start;
  if (!config.init_from.empty()) {
    io::PretrainedModel pretrained = io::load_pretrained_model(config.init_from);
    start.generator = std::move(pretrained.generator);
    start.generator->set_state(config.trainer.seed, 0);
    start.model = std::move(pretrained.model);
    start.tokenizer = std::move(pretrained.tokenizer);
  } else {
    start.generator = std::make_unique<Generator>(config.trainer.seed);
    start.model = nn::build_causal_lm(config.model_type, run_model_config(config.model, vocab_size, source),
                                      *start.generator);
  }
  // Drawn on the CPU (the same initial weights on every device), then moved.
  start.model->to(config.device);
  kernels::set_float32_matmul_precision(config.matmul_precision);
  return start;
}

RunModel load_run_model(const fs::path& run_directory) {
  const fs::path config_path = run_directory / "run_config.json";
  BYTEGRAD_CHECK(fs::exists(config_path), run_directory.string(),
                 ": no run_config.json (expected the output directory of `bytegrad train`)");
  const RunConfig config = run_config_from_json(io::read_json(config_path.string()), config_path.string());
  RunModel run;
  run.model_type = config.model_type;
  run.checkpoint = resolve_checkpoint(run_directory);
  const Checkpoint checkpoint = load_checkpoint(run.checkpoint.string());
  run.step = checkpoint.state.value("step", int64_t(0));
  run.weights = checkpoint.model;
  run.config = run_model_config(config.model, embedding_rows(run.weights, run.checkpoint), config_path.string() + ": model");
  const fs::path trained = run_directory / "tokenizer.json";
  run.tokenizer_source = fs::exists(trained) ? trained : shard_tokenizer_path(config.data);
  if (!run.tokenizer_source.empty() && fs::exists(run.tokenizer_source)) {
    try {
      run.tokenizer = tokenizer::load_tokenizer(run.tokenizer_source);
    } catch (const Error&) {
      throw;
    } catch (const std::exception& e) {
      throw Error(concat(run.tokenizer_source.string(), ": cannot load the run's tokenizer: ", e.what()));
    }
  } else {
    run.tokenizer_source.clear();
  }
  return run;
}

void save_model_tokenizer(const tokenizer::Tokenizer& tok, const fs::path& tokenizer_source, const fs::path& directory) {
  if (dynamic_cast<const tokenizer::ByteLevelBpe*>(&tok.model())) {
    io::save_tokenizer_json(tok, directory);
    return;
  }
  const fs::path source_directory = fs::is_directory(tokenizer_source) ? tokenizer_source : tokenizer_source.parent_path();
  if (!fs::is_directory(tokenizer_source) && tokenizer_source.extension() == ".model") {
    std::error_code error;
    fs::copy_file(tokenizer_source, directory / "tokenizer.model", fs::copy_options::overwrite_existing, error);
    BYTEGRAD_CHECK(!error, (directory / "tokenizer.model").string(), ": cannot copy ", tokenizer_source.string(), ": ",
                   error.message());
    return;
  }
  BYTEGRAD_CHECK(io::copy_tokenizer_files(source_directory, directory) > 0, directory.string(),
                 ": found no tokenizer files beside ", tokenizer_source.string(), " to copy");
}

void save_run_model(const fs::path& directory, const nn::CausalLM& model, const tokenizer::Tokenizer* tokenizer,
                    const fs::path& tokenizer_source, const QuantizedWeights* quantized) {
  const bool byte_level = tokenizer && dynamic_cast<const tokenizer::ByteLevelBpe*>(&tokenizer->model());
  io::save_pretrained_model(directory, model, byte_level ? tokenizer : nullptr, quantized);
  if (!tokenizer || byte_level) return;
  // Other tokenizers (SentencePiece) travel as their own files; config.json still gets their ids.
  io::write_json((directory / "config.json").string(), io::hf_config_json(model, tokenizer, quantized));
  save_model_tokenizer(*tokenizer, tokenizer_source, directory);
}

namespace {

// `model` saved at `out` in `weights`' format, matrices of `existing` in it kept as they are.
void save_in_format(const fs::path& out, const nn::CausalLM& model, const tokenizer::Tokenizer* tokenizer,
                    const fs::path& tokenizer_source, const ExportWeights& weights, const QuantizedWeights* existing) {
  if (weights.format == kernels::cpu::WeightFormat::Float32) {
    save_run_model(out, model, tokenizer, tokenizer_source);
    return;
  }
  const QuantizedWeights quantized = io::quantize_model_weights(model, weights.format, weights.group, existing);
  save_run_model(out, model, tokenizer, tokenizer_source, &quantized);
}

}  // namespace

void export_model_hf(const fs::path& model_directory, const fs::path& out, const ExportWeights& weights) {
  BYTEGRAD_CHECK(!fs::exists(out) || !fs::exists(model_directory) || !fs::equivalent(model_directory, out), out.string(),
                 ": the export would overwrite the model directory it reads; choose another --out");
  const io::PretrainedModel source = io::load_pretrained_model(model_directory);
  save_in_format(out, *source.model, source.tokenizer ? &*source.tokenizer : nullptr, model_directory, weights,
                 &source.quantized);
}

int64_t export_run_hf(const fs::path& run_directory, const fs::path& out, const ExportWeights& weights) {
  const RunModel run = load_run_model(run_directory);
  Generator generator(0);
  const std::unique_ptr<nn::CausalLM> model_owner = nn::build_causal_lm(run.model_type, run.config, generator);
  nn::CausalLM& model = *model_owner;
  try {
    model.load_state_dict(run.weights);
  } catch (const std::exception& e) {
    throw Error(concat(run.checkpoint.string(), ": the weights do not fit the run's model config: ", e.what()));
  }
  save_in_format(out, model, run.tokenizer ? &*run.tokenizer : nullptr, run.tokenizer_source, weights, nullptr);
  return run.step;
}

int64_t export_run_llama2c(const fs::path& run_directory, const fs::path& out, io::Llama2cVersion version) {
  const RunModel run = load_run_model(run_directory);
  BYTEGRAD_CHECK(run.model_type == "llama", run_directory.string(), ": llama2.c exports only Llama models, this run trained ",
                 run.model_type);
  if (version == io::Llama2cVersion::Int8Groups)
    io::export_llama2c_q8(out.string(), run.weights, run.config);
  else
    io::export_llama2c(out.string(), run.weights, run.config);
  if (run.tokenizer)
    io::export_llama2c_tokenizer(llama2c_tokenizer_path(out).string(), *run.tokenizer, run.config.vocab_size);
  return run.step;
}

fs::path llama2c_tokenizer_path(const fs::path& out) { return out.parent_path() / "tokenizer.bin"; }

}  // namespace bytegrad::train
