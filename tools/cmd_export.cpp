// `bytegrad export --checkpoint RUN_DIR --format hf|llama2c --out PATH`
// Turns a training run's newest checkpoint into a model others can load: a Hugging Face model
// directory (config.json, model.safetensors, tokenizer.json) or a llama2.c .bin for run.c, with
// its tokenizer.bin beside it.
#include <cstdio>
#include <filesystem>
#include <stdexcept>

#include "tools/commands.h"
#include "train/run_export.h"

namespace bytegrad::tools {

int run_export(const Args& args) {
  std::string checkpoint, format = "hf", out;
  for (size_t i = 0; i < args.size(); ++i) {
    const std::string& flag = args[i];
    if (flag != "--checkpoint" && flag != "--format" && flag != "--out")
      throw std::runtime_error("unknown option '" + flag + "' (expected --checkpoint RUN_DIR, --format hf|llama2c, --out PATH)");
    if (i + 1 >= args.size()) throw std::runtime_error(flag + " needs a value");
    (flag == "--checkpoint" ? checkpoint : flag == "--format" ? format : out) = args[++i];
  }
  if (checkpoint.empty()) throw std::runtime_error("missing required option --checkpoint RUN_DIR");
  if (out.empty()) throw std::runtime_error("missing required option --out PATH");
  int64_t step = 0;
  if (format == "hf") step = train::export_run_hf(checkpoint, out);
  else if (format == "llama2c") step = train::export_run_llama2c(checkpoint, out);
  else throw std::runtime_error("--format must be hf or llama2c, not '" + format + "'");
  std::printf("exported %s (step %lld) as %s -> %s\n", checkpoint.c_str(), static_cast<long long>(step),
              format == "hf" ? "a Hugging Face model directory" : "a llama2.c checkpoint", out.c_str());
  if (format == "llama2c" && std::filesystem::exists(train::llama2c_tokenizer_path(out)))
    std::printf("wrote its tokenizer for run.c: %s\n", train::llama2c_tokenizer_path(out).c_str());
  return 0;
}

}  // namespace bytegrad::tools
