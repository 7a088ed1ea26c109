#include "tools/cmd_run_args.h"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <stdexcept>

#include "dist/environment.h"
#include "tensor/creation.h"
#include "train/sharded_optimizer.h"
#include "tools/command_specs.h"
#include "train/training_checkpoint.h"

namespace bytegrad::tools {

RunArgs parse_run_args(const std::string& command, const Args& args) {
  const Options options = parse_options(command_spec(command), args);
  RunArgs out;
  out.config = options.value("--config").value_or("");
  out.overrides = options.values("--set");
  if (command == "sft") {
    out.detect_anomaly = options.flag("--detect-anomaly");
    out.overwrite = options.flag("--overwrite");
  }
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

std::function<void(const train::MetricsRecord&, double)> progress_lines(const train::RunConfig& config,
                                                                        const char* unit, int loss_digits,
                                                                        RunProgress& progress) {
  return [&config, unit, loss_digits, &progress](const train::MetricsRecord& r, double eta) {
    if (std::isnan(progress.first_loss)) progress.first_loss = r.loss;
    progress.positions += progress.ranks * config.batch_size * config.seq_len * config.trainer.grad_accum_steps;
    if (r.step % config.log_interval != 0 && r.step != config.trainer.steps && !r.eval_loss) return;
    std::printf("step %5lld/%lld  loss %.*f", static_cast<long long>(r.step),
                static_cast<long long>(config.trainer.steps), loss_digits, r.loss);
    if (r.eval_loss) std::printf("  eval %.*f", loss_digits, *r.eval_loss);
    std::printf("  lr %.2e  grad norm %.3f  %.0f %s  ETA %s\n", r.lr, r.grad_norm, r.tokens_per_second, unit,
                format_duration(eta).c_str());
    std::fflush(stdout);
  };
}

CheckpointedRun run_with_checkpoints(train::Trainer& trainer, const train::RunConfig& config,
                                     const nlohmann::json& resolved, train::MetricsLog* log,
                                     train::TrainerCallbacks callbacks, const std::filesystem::path& resumed_from) {
  CheckpointedRun run;
  run.checkpoint = resumed_from;
  const auto save_checkpoint = [&](int64_t step) {
    run.checkpoint = config.output_dir / train::checkpoint_name(step);
    train::save_training_checkpoint(run.checkpoint, trainer, resolved);
    if (!trainer.communicator() || trainer.communicator()->is_main())
      train::prune_checkpoints(config.output_dir, config.keep_last_checkpoints);
  };
  callbacks.on_checkpoint = save_checkpoint;
  const auto start = std::chrono::steady_clock::now();
  try {
    run.last = trainer.run(log, callbacks);
  } catch (const train::NonFiniteStepError& e) {
    throw_stopped_run(e, run.checkpoint);
  }
  run.train_seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  if (config.trainer.checkpoint_interval == 0) save_checkpoint(trainer.step());
  return run;
}

std::filesystem::path resume_trainer(const std::string& resume, train::Trainer& trainer) {
  if (resume.empty()) return {};
  const std::filesystem::path checkpoint = train::resolve_checkpoint(resume);
  train::load_training_checkpoint(checkpoint, trainer);
  std::printf("resumed from %s at step %lld\n", checkpoint.c_str(), static_cast<long long>(trainer.step()));
  return checkpoint;
}

std::unique_ptr<dist::Communicator> join_ranks() {
  std::unique_ptr<dist::Communicator> world = dist::communicator_from_environment();
  if (!world->is_main() && std::freopen("/dev/null", "w", stdout) == nullptr)
    throw std::runtime_error("rank " + std::to_string(world->rank()) + ": cannot silence standard output");
  return world;
}

std::unique_ptr<train::Optimizer> make_run_optimizer(dist::Communicator& world, const train::RunConfig& config,
                                                     const nn::CausalLM& model) {
  if (config.distributed.zero_stage == 1 && world.world_size() > 1)
    return train::make_sharded_optimizer(config.optimizer, model, world);
  return train::make_optimizer(config.optimizer, model);
}

namespace {

// Bytes of the optimizer's state on this rank: its shard's, or all of it.
int64_t optimizer_state_bytes(const train::Optimizer& optimizer) {
  if (const auto* sharded = dynamic_cast<const train::ShardedOptimizer*>(&optimizer)) return sharded->state_bytes();
  int64_t bytes = 0;
  for (const auto& [name, tensor] : optimizer.state()) bytes += tensor.numel() * int64_t(dtype_size(tensor.dtype()));
  return bytes;
}

}  // namespace

void print_rank_memory(dist::Communicator& world, int64_t parameter_bytes, int64_t gradient_bytes,
                       int64_t optimizer_bytes) {
  const Tensor mine = from_vector(std::vector<int64_t>{parameter_bytes, gradient_bytes, optimizer_bytes});
  const Tensor all = empty({3 * world.world_size()}, {kInt64, kCPU});
  world.all_gather(mine, all);
  const std::vector<int64_t> bytes = all.to_vector<int64_t>();
  for (int r = 0; r < world.world_size(); ++r)
    std::printf("rank %d holds: parameters %.2f MiB, gradients %.2f MiB, optimizer state %.2f MiB\n", r,
                double(bytes[size_t(3 * r)]) / (1 << 20), double(bytes[size_t(3 * r + 1)]) / (1 << 20),
                double(bytes[size_t(3 * r + 2)]) / (1 << 20));
}

std::unique_ptr<dist::DataParallel> make_data_parallel(dist::Communicator& world, double bucket_mb,
                                                       const train::Optimizer& optimizer, int64_t batch_size) {
  if (world.world_size() == 1) return nullptr;
  const int64_t bucket_bytes = std::max<int64_t>(1, std::llround(bucket_mb * double(1 << 20)));
  auto data_parallel =
      std::make_unique<dist::DataParallel>(world, optimizer.parameters(), dist::DataParallelOptions{bucket_bytes});
  data_parallel->broadcast_parameters();
  const long long buckets = data_parallel->bucket_count();
  std::printf("data parallel: %d ranks x batch %lld = %lld sequences per micro-batch; gradients averaged in %lld bucket%s\n",
              world.world_size(), static_cast<long long>(batch_size), static_cast<long long>(batch_size * world.world_size()),
              buckets, buckets == 1 ? "" : "s");
  int64_t parameter_bytes = 0;
  for (const auto& [name, parameter] : optimizer.parameters())
    parameter_bytes += parameter.numel() * int64_t(dtype_size(parameter.dtype()));
  print_rank_memory(world, parameter_bytes, parameter_bytes, optimizer_state_bytes(optimizer));
  return data_parallel;
}

std::string format_duration(double seconds) {
  char text[32];
  const int s = int(std::lround(std::max(0.0, seconds)));
  std::snprintf(text, sizeof text, "%d:%02d", s / 60, s % 60);
  return text;
}

}  // namespace bytegrad::tools
