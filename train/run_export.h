// A training run's output directory turned into a model others can use:
//   runs/NAME/run_config.json   the resolved config of the run (model section, data, ...)
//   runs/NAME/tokenizer.json    the BPE the run trained (or data.tokenizer names the one it loaded)
//   runs/NAME/checkpoint-STEP/  the checkpoints (or the older single checkpoint/)
// becomes a Hugging Face model directory (io/model_directory.h) or a llama2.c .bin
// (io/llama2c_export.h).
#pragma once

#include <filesystem>
#include <memory>
#include <optional>
#include <string>

#include "nn/config.h"
#include "nn/causal_lm.h"
#include "tensor/generator.h"
#include "tokenizer/tokenizer.h"
#include "train/run_config.h"
#include "io/llama2c_export.h"
#include "io/quantized_weights.h"
#include "io/safetensors.h"

namespace bytegrad::train {

// A run's model as its newest checkpoint holds it.
struct RunModel {
  std::string model_type;
  nn::ModelConfig config;
  io::TensorMap weights;               // by Hugging Face names
  std::filesystem::path checkpoint;  // the checkpoint directory read
  int64_t step = 0;
  std::optional<tokenizer::Tokenizer> tokenizer;
  std::filesystem::path tokenizer_source;  // the file it was read from (empty without one)
};

// Reads `run_directory`/run_config.json, the newest checkpoint (train/training_checkpoint.h
// resolve_checkpoint) and the tokenizer. The model's vocab_size, when the config leaves it out,
// is the checkpoint's embedding rows. Throws Error naming the file at fault.
RunModel load_run_model(const std::filesystem::path& run_directory);

// The model config of a run: `model` (the config's model section, model_type removed) with
// vocab_size filled from `vocab_size` when absent.
nn::ModelConfig run_model_config(const nlohmann::json& model, int64_t vocab_size, const std::string& source);

// The model a run starts from, and the generator that drives its dropout: init_from's model
// (its generator reseeded with the run's seed), or a fresh one of the run's family drawn from the
// seed, its config run_model_config(config.model, vocab_size, source); either way on
// config.device. Seeds the global generator too (manual_seed), as every run does before building
// anything.
struct StartingModel {
  std::unique_ptr<Generator> generator;
  std::unique_ptr<nn::CausalLM> model;
  std::optional<tokenizer::Tokenizer> tokenizer;  // init_from's, when its directory has one
};
StartingModel starting_model(const RunConfig& config, int64_t vocab_size, const std::string& source);

// Writes `model`'s tokenizer beside a saved model in `directory`: as tokenizer.json when it is a
// byte-level BPE, else by copying the tokenizer files found beside `tokenizer_source`.
void save_model_tokenizer(const tokenizer::Tokenizer& tokenizer, const std::filesystem::path& tokenizer_source,
                          const std::filesystem::path& directory);

// `model` as a Hugging Face model directory with the run's tokenizer (save_model_tokenizer) and
// its BOS/EOS ids in config.json; with `quantized`, a quantized directory (io/quantized_weights.h).
void save_run_model(const std::filesystem::path& directory, const nn::CausalLM& model,
                    const tokenizer::Tokenizer* tokenizer, const std::filesystem::path& tokenizer_source,
                    const QuantizedWeights* quantized = nullptr);

// The matrices written for `weights` (Float32: none, a plain directory), as `generate --weights`
// converts them: int8 groups of 64, or the largest half of it that divides every row.
struct ExportWeights {
  kernels::cpu::WeightFormat format = kernels::cpu::WeightFormat::Float32;
  int64_t group = 64;
};

// Hugging Face model directory at `out` from a run; returns the checkpoint step exported.
int64_t export_run_hf(const std::filesystem::path& run_directory, const std::filesystem::path& out,
                      const ExportWeights& weights = {});

// Hugging Face model directory at `out` from the model directory `model_directory`, its
// tokenizer files beside: in another weight format (a float32 directory as int8 groups, an int8
// one as float32, ...). Matrices the source stores in the same format and group are written as
// they are, not quantized again.
void export_model_hf(const std::filesystem::path& model_directory, const std::filesystem::path& out,
                     const ExportWeights& weights);

// llama2.c's .bin at `out` from a Llama run (`version`: run.c's float32 one or runq.c's int8 one,
// io/llama2c_export.h) and, when the run has a tokenizer, llama2.c's tokenizer.bin beside it
// (llama2c_tokenizer_path), so that `run out -z tokenizer.bin` prints the run's text; returns
// the checkpoint step exported.
int64_t export_run_llama2c(const std::filesystem::path& run_directory, const std::filesystem::path& out,
                           io::Llama2cVersion version = io::Llama2cVersion::Float32);

// Where export_run_llama2c writes the tokenizer of a .bin at `out`: tokenizer.bin in its folder.
std::filesystem::path llama2c_tokenizer_path(const std::filesystem::path& out);

}  // namespace bytegrad::train
