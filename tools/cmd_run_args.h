// The options `bytegrad train`, `sft` and `prep` share: --config FILE, --set KEY=VALUE
// (repeatable), and for train --resume DIR; the data summary train and prep print; durations
// on their progress lines.
#pragma once

#include <filesystem>
#include <string>
#include <vector>

#include "tools/commands.h"
#include "train/data/corpus_tokens.h"
#include "train/nonfinite.h"

namespace bytegrad::tools {

struct RunArgs {
  std::string config;
  std::vector<std::string> overrides;
  std::string resume;  // empty unless --resume was given
  bool overwrite = false;
  bool detect_anomaly = false;  // train and sft: autograd/anomaly.h's checks for the whole run
};

// Reads the command line of `command` ("train", "prep" or "sft") against its spec; --resume and
// --overwrite exist for train only, which needs --config or --resume and not both of --resume
// and --overwrite. Throws as parse_options does.
RunArgs parse_run_args(const std::string& command, const Args& args);

// Prints the corpus size, the tokenizer (and where a trained one was written) and the token counts.
void print_data_summary(const train::CorpusTokens& data, const std::filesystem::path& output_dir);

// Rethrows a run's NonFiniteStepError with where to go on from: `last_checkpoint` (the newest
// checkpoint written or resumed from), or that none was written.
[[noreturn]] void throw_stopped_run(const train::NonFiniteStepError& error, const std::filesystem::path& last_checkpoint);

// "M:SS" for a number of seconds (negative reads as 0), for ETAs and wall times.
std::string format_duration(double seconds);

}  // namespace bytegrad::tools
