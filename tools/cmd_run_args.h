// The options `bytegrad train`, `sft` and `prep` share: --config FILE, --set KEY=VALUE
// (repeatable), and for train --resume DIR; the data summary train and prep print; durations
// on their progress lines.
#pragma once

#include <cmath>
#include <filesystem>
#include <functional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "dist/communicator.h"
#include "dist/data_parallel.h"
#include "nn/causal_lm.h"
#include "tools/commands.h"
#include "train/data/corpus_tokens.h"
#include "train/metrics.h"
#include "train/nonfinite.h"
#include "train/run_config.h"
#include "train/trainer.h"

namespace bytegrad::tools {

struct RunArgs {
  std::string config;
  std::vector<std::string> overrides;
  std::string resume;  // empty unless --resume was given
  bool overwrite = false;
  bool detect_anomaly = false;  // train and sft: autograd/anomaly.h's checks for the whole run
};

// Reads the command line of `command` ("train", "prep" or "sft") against its spec; --overwrite
// exists for train and sft, --resume for train only, which needs --config or --resume and not
// both of --resume and --overwrite. Throws as parse_options does.
RunArgs parse_run_args(const std::string& command, const Args& args);

// Prints the corpus size, the tokenizer (and where a trained one was written) and the token counts.
void print_data_summary(const train::CorpusTokens& data, const std::filesystem::path& output_dir);

// Rethrows a run's NonFiniteStepError with where to go on from: `last_checkpoint` (the newest
// checkpoint written or resumed from), or that none was written.
[[noreturn]] void throw_stopped_run(const train::NonFiniteStepError& error, const std::filesystem::path& last_checkpoint);

// What the progress lines of a run keep: the first step's loss and the positions trained so far.
struct RunProgress {
  double first_loss = NAN;
  int64_t positions = 0;  // over every rank
  int64_t ranks = 1;      // data-parallel ranks, each training batch_size rows
};

// This process's place in a data-parallel job (dist/environment.h): the communicator, with
// standard output silenced on every rank but 0, so that the job prints one run's progress;
// errors still reach standard error from any rank.
std::unique_ptr<dist::Communicator> join_ranks();

// The run's optimizer (the config's optimizer section over `model`): with distributed.zero_stage 1
// on several ranks, its state sharded over them (train/sharded_optimizer.h).
std::unique_ptr<train::Optimizer> make_run_optimizer(dist::Communicator& world, const train::RunConfig& config,
                                                     const nn::CausalLM& model);

// One line per rank, printed by rank 0, with the bytes that rank holds of parameters, gradients
// and optimizer state (a collective call: every rank passes its own).
void print_rank_memory(dist::Communicator& world, int64_t parameter_bytes, int64_t gradient_bytes,
                       int64_t optimizer_bytes);

// Data parallelism for a job of several ranks: a DataParallel over the optimizer's parameters
// (buckets of `bucket_mb`; rank 0's values broadcast to all) for the trainer to train with, a
// line saying how the global batch of `batch_size` per rank is made, and one line per rank with
// the bytes it holds of parameters, gradients and optimizer state. Null for a job of one rank.
std::unique_ptr<dist::DataParallel> make_data_parallel(dist::Communicator& world, double bucket_mb,
                                                       const train::Optimizer& optimizer, int64_t batch_size);

// The on_step callback of `bytegrad train`: fills `progress`, and prints "step N/STEPS loss ...
// [eval ...] lr ... grad norm ... RATE UNIT ETA M:SS" every log_interval steps, at evaluations and
// at the last step, the loss with `loss_digits` decimals and the rate in `unit` ("tok/s").
std::function<void(const train::MetricsRecord&, double)> progress_lines(const train::RunConfig& config,
                                                                        const char* unit, int loss_digits,
                                                                        RunProgress& progress);

struct CheckpointedRun {
  train::MetricsRecord last;     // the last step's record
  double train_seconds = 0;      // spent in the steps (evaluations and samples included)
  std::filesystem::path checkpoint;  // the newest checkpoint written
};

// Runs `trainer` to its last step as `bytegrad train` does: a checkpoint (checkpoint-STEP in the
// config's output_dir, older ones pruned to keep_last) at the config's interval, or once at the
// end without one; a step that is not finite stops the run with where to go on from
// (throw_stopped_run). `resumed_from` is the checkpoint the run resumed from, if any. In a
// data-parallel run every rank calls it, `log` is null but on rank 0, and rank 0 alone writes.
CheckpointedRun run_with_checkpoints(train::Trainer& trainer, const train::RunConfig& config,
                                     const nlohmann::json& resolved, train::MetricsLog* log,
                                     train::TrainerCallbacks callbacks, const std::filesystem::path& resumed_from);

// Loads the checkpoint `resume` names (a run directory's newest, or a checkpoint directory) into
// `trainer` and says so; returns that checkpoint, or an empty path when `resume` is empty (a
// fresh run). Throws as load_training_checkpoint does.
std::filesystem::path resume_trainer(const std::string& resume, train::Trainer& trainer);

// "M:SS" for a number of seconds (negative reads as 0), for ETAs and wall times.
std::string format_duration(double seconds);

}  // namespace bytegrad::tools
