// `bytegrad export --checkpoint RUN_DIR --format hf|llama2c|llama2c-q8 --out PATH`
// Turns a training run's newest checkpoint into a model others can load: a Hugging Face model
// directory (config.json, model.safetensors, tokenizer.json), a llama2.c .bin for run.c, or the
// int8 one for runq.c, with its tokenizer.bin beside it.
#include <cstdio>
#include <filesystem>
#include <stdexcept>

#include "tools/command_specs.h"
#include "tools/commands.h"
#include "train/run_export.h"

namespace bytegrad::tools {

int run_export(const Args& args) {
  const Options options = parse_options(command_spec("export"), args);
  const std::string checkpoint = options.get("--checkpoint"), format = options.get("--format"),
                    out = options.get("--out");
  int64_t step = 0;
  if (format == "hf") step = train::export_run_hf(checkpoint, out);
  else if (format == "llama2c") step = train::export_run_llama2c(checkpoint, out);
  else if (format == "llama2c-q8") step = train::export_run_llama2c(checkpoint, out, io::Llama2cVersion::Int8Groups);
  else throw std::runtime_error("--format must be hf, llama2c or llama2c-q8, not '" + format + "'");
  const char* what = format == "hf"        ? "a Hugging Face model directory"
                     : format == "llama2c" ? "a llama2.c checkpoint"
                                           : "a llama2.c int8 checkpoint (version 2, runq.c)";
  std::printf("exported %s (step %lld) as %s -> %s\n", checkpoint.c_str(), static_cast<long long>(step), what,
              out.c_str());
  if (format != "hf" && std::filesystem::exists(train::llama2c_tokenizer_path(out)))
    std::printf("wrote its tokenizer for run.c: %s\n", train::llama2c_tokenizer_path(out).c_str());
  return 0;
}

}  // namespace bytegrad::tools
