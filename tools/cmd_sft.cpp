// `bytegrad sft --config FILE [--set KEY=VALUE ...]`
// Fine-tunes a model directory on JSONL examples as a config (train/sft/config.h) describes:
// measures exact-match accuracy on held-out questions, trains on the response tokens with
// progress lines (loss, response entropy, KL to the reference when used), measures the accuracy
// again, and writes metrics.jsonl, loss.svg and the fine-tuned model directory.
#include <chrono>
#include <cmath>
#include <cstdio>
#include <fstream>
#include <memory>
#include <optional>
#include <stdexcept>

#include "autograd/anomaly.h"
#include "tools/cmd_run_args.h"
#include "tools/commands.h"
#include "train/loss_plot.h"
#include "io/model_directory.h"
#include "kernels/matmul_precision.h"
#include "train/run_directory.h"
#include "train/sft/config.h"
#include "train/sft/eval.h"
#include "train/sft/trainer.h"

namespace bytegrad::tools {
namespace {

namespace fs = std::filesystem;
using nlohmann::json;

double seconds_since(std::chrono::steady_clock::time_point start) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
}

// Accuracy on the held-out questions, timed.
struct TimedAccuracy {
  train::SftAccuracy result;
  double seconds = 0;
};

TimedAccuracy measure_accuracy(nn::CausalLM& model, const tokenizer::Tokenizer& tok,
                               const std::vector<train::SftQuestion>& questions, int64_t max_new_tokens) {
  const auto start = std::chrono::steady_clock::now();
  train::SftAccuracy result = train::exact_match_accuracy(model, tok, questions, max_new_tokens);
  return {std::move(result), seconds_since(start)};
}

// Prints an accuracy with the first few answers.
void print_accuracy(const char* when, const TimedAccuracy& measured, const std::vector<train::SftQuestion>& questions) {
  const train::SftAccuracy& result = measured.result;
  std::printf("exact-match accuracy %s: %lld/%zu = %.1f%% (%.1f s)\n", when, static_cast<long long>(result.correct),
              result.answers.size(), 100.0 * result.accuracy(), measured.seconds);
  for (size_t i = 0; i < std::min<size_t>(4, questions.size()); ++i) {
    const train::SftAnswer& a = result.answers[i];
    std::printf("  %s  expected \"%s\", got \"%s\"%s\n", questions[i].source.c_str(), a.expected.c_str(),
                a.predicted.c_str(), a.correct ? "  (correct)" : "");
  }
  std::fflush(stdout);
}

// The held-out questions (the first eval_examples of the eval file); empty without one.
std::vector<train::SftQuestion> load_questions(const train::SftConfig& config, const tokenizer::Tokenizer& tok) {
  std::vector<train::SftQuestion> questions;
  if (config.eval_data.empty()) return questions;
  for (const train::SftRecord& record : train::read_sft_jsonl(config.eval_data)) {
    if (config.eval_examples > 0 && int64_t(questions.size()) == config.eval_examples) break;
    questions.push_back(train::sft_question(record, tok, config.format));
  }
  return questions;
}

}  // namespace

int run_sft(const Args& args) {
  const auto wall_start = std::chrono::steady_clock::now();
  const std::unique_ptr<dist::Communicator> world = join_ranks();
  const bool main_rank = world->is_main();
  const RunArgs cli = parse_run_args("sft", args);
  const DetectAnomaly anomaly(cli.detect_anomaly);
  json resolved;
  const train::SftConfig config = train::load_sft_config(cli.config, cli.overrides, resolved);
  // One live run per directory, and an earlier run's model is kept unless --overwrite says
  // otherwise. In a data-parallel job rank 0 owns the directory and writes every file.
  std::optional<train::RunDirectory> run_directory;
  if (main_rank) {
    run_directory.emplace(config.output_dir, cli.overwrite ? train::RunStart::Overwrite : train::RunStart::Fresh);
    std::ofstream(config.output_dir / "sft_config.json") << resolved.dump(2) << '\n';
  }

  io::PretrainedModel pretrained = io::load_pretrained_model(config.model);
  if (!pretrained.tokenizer) throw std::runtime_error(config.model.string() + ": the model directory has no tokenizer");
  const tokenizer::Tokenizer& tok = *pretrained.tokenizer;
  if (!tok.eos_id()) throw std::runtime_error(config.model.string() + ": the tokenizer has no EOS token");
  nn::CausalLM& model = *pretrained.model;
  model.to(config.device);
  kernels::set_float32_matmul_precision(config.matmul_precision);
  const nn::ModelConfig& model_config = model.config();
  std::printf("model: %s from %s, %lld layers, hidden %lld, %.2fM parameters, %zu-token vocabulary\n",
              model.model_type().c_str(), config.model.c_str(), static_cast<long long>(model_config.num_hidden_layers),
              static_cast<long long>(model_config.hidden_size), double(model.parameter_count()) / 1e6, tok.vocab_size());

  std::vector<train::SftExample> examples = train::encode_sft_records(
      train::read_sft_jsonl(config.train_data), tok, config.format, model_config.max_position_embeddings);
  int64_t tokens = 0, trained = 0;
  for (const train::SftExample& e : examples) {
    tokens += int64_t(e.ids.size());
    for (size_t i = 1; i < e.trained.size(); ++i) trained += e.trained[i];
  }
  std::printf("data: %zu examples from %s, %.1f tokens each, %.1f trained on\n", examples.size(),
              config.train_data.c_str(), double(tokens) / double(examples.size()), double(trained) / double(examples.size()));
  // The held-out questions are answered by rank 0 alone (the other ranks' models are the same).
  const std::vector<train::SftQuestion> questions = main_rank ? load_questions(config, tok) : std::vector<train::SftQuestion>{};
  if (!questions.empty()) std::printf("held out: %zu questions from %s\n", questions.size(), config.eval_data.c_str());

  std::optional<io::PretrainedModel> reference;
  if (config.training.kl_coef > 0) {
    reference.emplace(io::load_pretrained_model(config.model));
    reference->model->to(config.device);
    std::printf("reference: a frozen copy of the starting model, KL coefficient %g\n", config.training.kl_coef);
  }
  std::fflush(stdout);

  std::optional<TimedAccuracy> before, after;
  if (!questions.empty()) {
    before = measure_accuracy(model, tok, questions, config.max_new_tokens);
    print_accuracy("before fine-tuning", *before, questions);
  }

  const std::unique_ptr<train::Optimizer> optimizer = train::make_optimizer(config.optimizer, model);
  train::SftTrainer trainer(model, *optimizer, config.schedule,
                            train::SftBatches(std::move(examples), config.training.batch_size, *tok.eos_id(),
                                              config.training.seed),
                            reference ? reference->model.get() : nullptr, config.training);
  const std::unique_ptr<dist::DataParallel> data_parallel =
      make_data_parallel(*world, train::DistributedConfig{}.bucket_mb, *optimizer, config.training.batch_size);
  if (data_parallel) trainer.distribute(*data_parallel);
  std::printf("fine-tuning: %lld steps of %lld examples (x%lld accumulated), %s, peak lr %g\n",
              static_cast<long long>(config.training.steps), static_cast<long long>(config.training.batch_size),
              static_cast<long long>(config.training.grad_accum_steps), config.optimizer.name.c_str(), config.schedule.peak);
  std::fflush(stdout);

  const fs::path metrics_path = config.output_dir / "metrics.jsonl";
  std::optional<train::SftMetricsLog> log;
  if (main_rank) log.emplace(metrics_path);
  const auto train_start = std::chrono::steady_clock::now();
  double first_loss = NAN, last_loss = NAN, eval_seconds = 0;
  int64_t skipped_steps = 0;
  while (trainer.step() < config.training.steps) {
    train::SftMetricsRecord record;
    try {
      record = trainer.train_step();
    } catch (const train::NonFiniteStepError& e) {
      throw_stopped_run(e, config.model);  // fine-tuning writes only at the end: the model it started from
    }
    skipped_steps += record.training.skipped;
    const int64_t step = record.training.step;
    const bool last = step == config.training.steps;
    if (std::isnan(first_loss)) first_loss = record.training.loss;
    last_loss = record.training.loss;
    if (!questions.empty() && (last || (config.eval_interval > 0 && step % config.eval_interval == 0))) {
      TimedAccuracy measured = measure_accuracy(model, tok, questions, config.max_new_tokens);
      eval_seconds += measured.seconds;
      record.eval_accuracy = measured.result.accuracy();
      if (last) after = std::move(measured);
    }
    if (log) log->write(record);
    if (step % config.log_interval != 0 && !last && !record.eval_accuracy) continue;
    const double eta = (seconds_since(train_start) - eval_seconds) / double(step) * double(config.training.steps - step);
    std::printf("step %5lld/%lld  loss %.4f  entropy %.3f", static_cast<long long>(step),
                static_cast<long long>(config.training.steps), record.training.loss, record.response_entropy);
    if (record.kl) std::printf("  kl %.4f", *record.kl);
    if (record.eval_accuracy) std::printf("  accuracy %.1f%%", 100.0 * *record.eval_accuracy);
    std::printf("  lr %.2e  grad norm %.3f  %.0f tok/s  epoch %lld  ETA %s\n", record.training.lr,
                record.training.grad_norm, record.training.tokens_per_second,
                static_cast<long long>(trainer.batches().epoch()), format_duration(eta).c_str());
    std::fflush(stdout);
  }
  const double train_seconds = seconds_since(train_start) - eval_seconds;  // the evaluations not counted
  if (!main_rank) return 0;  // rank 0 writes the model and prints the summary
  if (after) print_accuracy("after fine-tuning", *after, questions);
  const fs::path model_dir = config.output_dir / "model";
  io::save_pretrained_model(model_dir, model, &tok);
  const fs::path svg_path = config.output_dir / "loss.svg";
  std::ofstream(svg_path) << train::loss_curve_svg(train::read_metrics(metrics_path), "bytegrad sft: " + cli.config);

  std::printf("\nloss %.3f -> %.3f nats per response token", first_loss, last_loss);
  if (before && after)
    std::printf("; held-out exact match %.1f%% -> %.1f%%", 100.0 * before->result.accuracy(),
                100.0 * after->result.accuracy());
  if (skipped_steps > 0)
    std::printf("\nskipped %lld steps whose loss or gradient norm was not finite", static_cast<long long>(skipped_steps));
  std::printf("\ntraining steps took %s (evaluations excluded), the whole command %s\n", format_duration(train_seconds).c_str(),
              format_duration(seconds_since(wall_start)).c_str());
  std::printf("wrote %s, %s, %s\n", metrics_path.c_str(), svg_path.c_str(), model_dir.c_str());
  return 0;
}

}  // namespace bytegrad::tools
