// `bytegrad export --checkpoint RUN_DIR --format hf|llama2c|llama2c-q8 [--weights F] --out PATH`
// `bytegrad export --model DIR [--weights F] --out DIR2`
// Turns a training run's newest checkpoint into a model others can load: a Hugging Face model
// directory (config.json, model.safetensors, tokenizer.json), a llama2.c .bin for run.c, or the
// int8 one for runq.c, with its tokenizer.bin beside it. A model directory becomes another one
// in a different weight format. --weights bfloat16|int8 writes a quantized directory
// (io/quantized_weights.h).
#include <cstdio>
#include <filesystem>
#include <stdexcept>

#include "tools/command_specs.h"
#include "tools/commands.h"
#include "train/run_export.h"

namespace bytegrad::tools {
namespace {

std::string describe(const std::string& format, const train::ExportWeights& weights) {
  if (format == "llama2c") return "a llama2.c checkpoint";
  if (format == "llama2c-q8") return "a llama2.c int8 checkpoint (version 2, runq.c)";
  if (weights.format == kernels::cpu::WeightFormat::Float32) return "a Hugging Face model directory";
  return "a Hugging Face model directory with " + kernels::cpu::weight_format_name(weights.format) + " matrices";
}

}  // namespace

int run_export(const Args& args) {
  const Options options = parse_options(command_spec("export"), args);
  const std::string format = options.get("--format"), out = options.get("--out");
  const std::optional<std::string> checkpoint = options.value("--checkpoint"), model = options.value("--model");
  if (checkpoint.has_value() == model.has_value())
    throw UsageError("bytegrad export: give one of --checkpoint RUN_DIR and --model DIR (see bytegrad export --help)");
  train::ExportWeights weights;
  weights.format = kernels::cpu::weight_format_from_name(options.get("--weights"));
  if (format != "hf" && (model || weights.format != kernels::cpu::WeightFormat::Float32))
    throw UsageError("bytegrad export: --model and --weights go with --format hf (llama2c-q8 is the int8 .bin)");
  if (model) {
    train::export_model_hf(*model, out, weights);
    std::printf("exported %s as %s -> %s\n", model->c_str(), describe(format, weights).c_str(), out.c_str());
    return 0;
  }
  int64_t step = 0;
  if (format == "hf") step = train::export_run_hf(*checkpoint, out, weights);
  else if (format == "llama2c") step = train::export_run_llama2c(*checkpoint, out);
  else if (format == "llama2c-q8") step = train::export_run_llama2c(*checkpoint, out, io::Llama2cVersion::Int8Groups);
  else throw std::runtime_error("--format must be hf, llama2c or llama2c-q8, not '" + format + "'");
  std::printf("exported %s (step %lld) as %s -> %s\n", checkpoint->c_str(), static_cast<long long>(step),
              describe(format, weights).c_str(), out.c_str());
  if (format != "hf" && std::filesystem::exists(train::llama2c_tokenizer_path(out)))
    std::printf("wrote its tokenizer for run.c: %s\n", train::llama2c_tokenizer_path(out).c_str());
  return 0;
}

}  // namespace bytegrad::tools
