#include "tools/cmd_run_args.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <stdexcept>

#include "tools/command_specs.h"

namespace bytegrad::tools {

RunArgs parse_run_args(const std::string& command, const Args& args) {
  const Options options = parse_options(command_spec(command), args);
  RunArgs out;
  out.config = options.value("--config").value_or("");
  out.overrides = options.values("--set");
  if (command == "sft") out.detect_anomaly = options.flag("--detect-anomaly");
  if (command != "train") return out;
  out.detect_anomaly = options.flag("--detect-anomaly");
  out.resume = options.value("--resume").value_or("");
  out.overwrite = options.flag("--overwrite");
  if (out.config.empty() && out.resume.empty())
    throw UsageError("bytegrad train: give --config FILE (a new run) or --resume DIR (see bytegrad train --help)");
  if (out.overwrite && !out.resume.empty())
    throw UsageError("bytegrad train: --overwrite starts a new run and --resume continues one; give one of them");
  return out;
}

void print_data_summary(const train::CorpusTokens& data, const std::filesystem::path& output_dir) {
  std::printf("corpus: %zu documents, %.2f MB of text from %zu files\n", data.documents, double(data.text_bytes) / 1e6,
              data.files);
  if (data.tokenizer_trained)
    std::printf("tokenizer: byte-level BPE of %zu tokens trained in %.1f s -> %s\n", data.tokenizer.vocab_size(),
                data.tokenizer_seconds, (output_dir / "tokenizer.json").c_str());
  else
    std::printf("tokenizer: %zu tokens, loaded in %.1f s\n", data.tokenizer.vocab_size(), data.tokenizer_seconds);
  const int64_t tokens = data.train.size() + data.eval.size();
  std::printf("tokens: %lld train, %lld held out (%.2f bytes/token)\n", static_cast<long long>(data.train.size()),
              static_cast<long long>(data.eval.size()), double(data.text_bytes) / double(tokens));
}

void throw_stopped_run(const train::NonFiniteStepError& error, const std::filesystem::path& last_checkpoint) {
  throw std::runtime_error(std::string(error.what()) + "; " +
                           (last_checkpoint.empty() ? std::string("no checkpoint was written before it")
                                                    : "the last good checkpoint is " + last_checkpoint.string()));
}

std::string format_duration(double seconds) {
  char text[32];
  const int s = int(std::lround(std::max(0.0, seconds)));
  std::snprintf(text, sizeof text, "%d:%02d", s / 60, s % 60);
  return text;
}

}  // namespace bytegrad::tools
