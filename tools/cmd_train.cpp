// `bytegrad train (--config FILE [--overwrite] | --resume DIR) [--set KEY=VALUE ...] [--detect-anomaly]`
// Trains a causal language model as a config (train/run_config.h) describes: reads the corpus,
// loads or trains its tokenizer, packs the documents, prints the unigram entropy the model must
// beat, trains with progress lines, eval losses and samples, and writes metrics.jsonl, loss.svg
// and checkpoints into the output directory.
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <stdexcept>

#include "autograd/anomaly.h"
#include "dist/data_parallel.h"
#include "train/zero3.h"
#include "tensor/generator.h"
#include "tools/cmd_run_args.h"
#include "tools/cmd_train_tfree.h"
#include "tools/commands.h"
#include "train/data/corpus_tokens.h"
#include "train/loss_plot.h"
#include "infer/generate.h"
#include "io/model_directory.h"
#include "train/run_checks.h"
#include "train/run_config.h"
#include "train/run_directory.h"
#include "train/run_export.h"
#include "train/training_checkpoint.h"

namespace bytegrad::tools {
namespace {

namespace fs = std::filesystem;
using nlohmann::json;

void print_sample(const tokenizer::Tokenizer& tok, int64_t step, const std::vector<int64_t>& ids) {
  const std::vector<int32_t> narrow(ids.begin(), ids.end());
  std::string text = tok.decode(narrow);
  for (size_t at; (at = text.find(train::kEndOfText)) != std::string::npos;) text.replace(at, strlen(train::kEndOfText), "\n  ~\n");
  for (size_t at = 0; (at = text.find('\n', at)) != std::string::npos; at += 3) text.replace(at, 1, "\n  ");
  std::printf("--- sample at step %lld ---\n  %s\n---\n", static_cast<long long>(step), text.c_str());
  std::fflush(stdout);
}

// The run's tokens, on every rank alike: rank 0 reads the corpus first (training the BPE and
// writing tokenizer.json when the config asks for one), and the other ranks then load that
// tokenizer instead of training their own.
train::CorpusTokens read_training_tokens(dist::Communicator& world, const train::RunConfig& config,
                                         const std::string& source) {
  if (!config.data.shards.empty()) return train::load_shard_tokens(config.data, source);
  std::optional<train::CorpusTokens> data;
  if (world.is_main()) data.emplace(train::tokenize_corpus(config.data, config.output_dir, config.trainer.seed));
  world.barrier();
  if (world.is_main()) return std::move(*data);
  train::DataConfig rank_data = config.data;
  if (rank_data.bpe_vocab_size > 0) {
    rank_data.tokenizer = (config.output_dir / "tokenizer.json").string();
    rank_data.bpe_vocab_size = 0;
  }
  return train::tokenize_corpus(rank_data, config.output_dir, config.trainer.seed);
}

}  // namespace

int run_train(const Args& args) {
  const auto wall_start = std::chrono::steady_clock::now();
  const std::unique_ptr<dist::Communicator> world = join_ranks();
  const bool main_rank = world->is_main();
  RunArgs cli = parse_run_args("train", args);
  const DetectAnomaly anomaly(cli.detect_anomaly);
  json resolved;
  std::optional<train::ResumedRun> resumed;
  if (!cli.resume.empty()) {
    resumed = train::resume_run(cli.resume, cli.overrides);
    if (!cli.config.empty())
      std::printf("resuming with %s's saved run_config.json; %s is not read\n", resumed->directory.c_str(),
                  cli.config.c_str());
    for (const std::string& change : resumed->changes) std::printf("override on resume: %s\n", change.c_str());
    cli.config = (resumed->directory / "run_config.json").string();
    cli.resume = resumed->checkpoint.string();
    resolved = resumed->config;
  } else {
    resolved = train::load_run_config_json(cli.config, cli.overrides);
  }
  const train::RunConfig config = train::run_config_from_json(resolved, cli.config);
  train::check_run_before_data(config, cli.config);
  if (config.model_type == "tfree" && world->world_size() > 1)
    throw std::runtime_error(cli.config + ": T-Free models train in one process, not on " +
                             std::to_string(world->world_size()) + " ranks");
  // Rank 0 owns the run directory: it locks it and writes every file. The others wait until it
  // has (they have read the saved config of a resumed run before it is rewritten).
  world->barrier();
  std::optional<train::RunDirectory> run_directory;
  if (main_rank) {
    run_directory.emplace(config.output_dir, resumed        ? train::RunStart::Resume
                                             : cli.overwrite ? train::RunStart::Overwrite
                                                             : train::RunStart::Fresh);
    if (resumed) train::truncate_metrics(config.output_dir / "metrics.jsonl", resumed->step);
    std::ofstream(config.output_dir / "run_config.json") << resolved.dump(2) << '\n';
  }
  if (config.model_type == "tfree") return run_train_tfree(cli, config, resolved);

  const train::CorpusTokens data = read_training_tokens(*world, config, cli.config);
  if (config.data.shards.empty()) print_data_summary(data, config.output_dir);
  else
    std::printf("data: %zu token shards, %lld train and %lld held-out tokens; tokenizer of %zu tokens (%s)\n", data.files,
                static_cast<long long>(data.train.size()), static_cast<long long>(data.eval.size()), data.tokenizer.vocab_size(),
                train::shard_tokenizer_path(config.data).c_str());
  const tokenizer::Tokenizer& tok = data.tokenizer;
  const int32_t eos = data.eos;
  const double entropy = train::unigram_entropy_nats(data.train, int64_t(tok.vocab_size()));
  std::printf("unigram entropy of the training tokens: %.3f nats = %.3f bits per token (the loss to beat)\n", entropy,
              entropy / std::log(2.0));

  // The model: a pretrained one (init_from), or a fresh one drawn from the seed. Its generator
  // then drives dropout, from the seed either way.
  train::StartingModel start = train::starting_model(config, int64_t(tok.vocab_size()), cli.config + ": model");
  if (!config.init_from.empty()) {
    if (start.tokenizer) train::check_same_tokenizer(tok, *start.tokenizer, cli.config);
    std::printf("initialized from %s\n", config.init_from.c_str());
  }
  std::unique_ptr<Generator> model_generator = std::move(start.generator);
  std::unique_ptr<nn::CausalLM> model_owner = std::move(start.model);
  nn::CausalLM& model = *model_owner;
  const nn::ModelConfig& model_config = model.config();
  if (size_t(model_config.vocab_size) < tok.vocab_size())
    throw std::runtime_error(cli.config + ": model.vocab_size " + std::to_string(model_config.vocab_size) +
                             " is smaller than the tokenizer's " + std::to_string(tok.vocab_size()));
  std::printf("model: %s, %lld layers, hidden %lld, %.2fM parameters\n", model.model_type().c_str(),
              static_cast<long long>(model_config.num_hidden_layers), static_cast<long long>(model_config.hidden_size),
              double(model.parameter_count()) / 1e6);

  // ZeRO-3 shards the parameters themselves and brings its own optimizer, over the shards.
  std::unique_ptr<train::Zero3> zero3;
  if (config.distributed.zero_stage == 3 && world->world_size() > 1)
    zero3 = std::make_unique<train::Zero3>(model, *world, config.optimizer);
  const std::unique_ptr<train::Optimizer> own_optimizer = zero3 ? nullptr : make_run_optimizer(*world, config, model);
  train::Optimizer& optimizer = zero3 ? zero3->optimizer() : *own_optimizer;
  std::optional<train::TokenBatches> eval_batches;
  if (data.eval.size() > config.seq_len) eval_batches.emplace(data.eval, config.batch_size, config.seq_len, "held-out tokens");
  train::Trainer trainer(model, optimizer, config.schedule,
                         train::TokenBatches(data.train, config.batch_size, config.seq_len, "training tokens"),
                         std::move(eval_batches), *model_generator, config.trainer);
  std::unique_ptr<dist::DataParallel> data_parallel;
  if (zero3) {
    trainer.distribute(*zero3);
    std::printf("ZeRO-3: %d ranks x batch %lld; parameters, gradients and moments sharded in %lld units\n",
                world->world_size(), static_cast<long long>(config.batch_size),
                static_cast<long long>(zero3->unit_count()));
    print_rank_memory(*world, zero3->parameter_shard_bytes(), zero3->gradient_shard_bytes(),
                      zero3->optimizer_state_bytes());
  } else {
    data_parallel = make_data_parallel(*world, config.distributed.bucket_mb, optimizer, config.batch_size);
    if (data_parallel) trainer.distribute(*data_parallel);
  }
  const fs::path resumed_from = resume_trainer(cli.resume, trainer);  // empty for a fresh run
  std::printf("training: %lld steps of %lld x %lld tokens (x%lld accumulated), %s, peak lr %g\n",
              static_cast<long long>(config.trainer.steps), static_cast<long long>(config.batch_size),
              static_cast<long long>(config.seq_len), static_cast<long long>(config.trainer.grad_accum_steps),
              config.optimizer.name.c_str(), config.schedule.peak);
  std::fflush(stdout);

  const fs::path metrics_path = config.output_dir / "metrics.jsonl";
  std::optional<train::MetricsLog> log;
  if (main_rank) log.emplace(metrics_path, !cli.resume.empty());
  const std::vector<int64_t> prompt = [&] {
    std::vector<int64_t> ids{eos};
    for (int32_t id : tok.encode(config.sample_prompt)) ids.push_back(id);
    return ids;
  }();
  RunProgress progress;
  progress.ranks = world->world_size();
  train::TrainerCallbacks callbacks;
  callbacks.on_step = progress_lines(config, "tok/s", 4, progress);
  callbacks.on_sample = [&](int64_t step) {  // every rank samples (a ZeRO-3 model is gathered for it)
    const std::vector<int64_t> ids = trainer.sample(prompt);
    if (main_rank) print_sample(tok, step, ids);
  };
  const CheckpointedRun run =
      run_with_checkpoints(trainer, config, resolved, log ? &*log : nullptr, callbacks, resumed_from);
  std::optional<train::Zero3::Gathered> whole;  // a sharded model is whole for what follows
  if (zero3) whole.emplace(*zero3);
  if (!main_rank) return 0;  // rank 0 writes the model and prints the summary
  const train::MetricsRecord& last = run.last;
  const double train_seconds = run.train_seconds;
  const fs::path checkpoint_dir = run.checkpoint;  // the newest complete checkpoint of this run
  // The trained model in Hugging Face's layout, for generation, fine-tuning or transformers.
  const fs::path model_dir = config.output_dir / "model";
  const fs::path tokenizer_source =
      data.tokenizer_trained ? config.output_dir / "tokenizer.json" : train::shard_tokenizer_path(config.data);
  train::save_run_model(model_dir, model, &tok, tokenizer_source);

  const fs::path svg_path = config.output_dir / "loss.svg";
  std::ofstream(svg_path) << train::loss_curve_svg(train::read_metrics(metrics_path), "bytegrad train: " + cli.config);
  const double wall = std::chrono::duration<double>(std::chrono::steady_clock::now() - wall_start).count();
  std::printf("\nloss %.3f -> %.3f nats/token (unigram entropy %.3f)", progress.first_loss, last.loss, entropy);
  if (last.eval_loss) std::printf(", held-out %.3f", *last.eval_loss);
  // All the tokens over all the time the steps took (evaluations, samples and checkpoints included).
  std::printf("; %.0f tokens/s over the run; wall time %s\n", double(progress.positions) / std::max(train_seconds, 1e-9),
              format_duration(wall).c_str());
  if (trainer.skipped_steps() > 0)
    std::printf("skipped %lld steps whose loss or gradient norm was not finite\n",
                static_cast<long long>(trainer.skipped_steps()));
  infer::GenerationOptions sampling;
  sampling.max_gen_len = config.trainer.sample_tokens;
  sampling.temperature = config.trainer.sample_temperature;
  sampling.top_p = 1.0;  // plain softmax(logits / temperature), as during training
  for (uint64_t i = 1; i <= 3; ++i) {
    sampling.seed = config.trainer.seed + i;
    print_sample(tok, trainer.step(), infer::generate(model, {prompt}, sampling).tokens.front());
  }
  std::printf("wrote %s, %s, %s, %s\n", metrics_path.c_str(), svg_path.c_str(), checkpoint_dir.c_str(), model_dir.c_str());
  return 0;
}

}  // namespace bytegrad::tools
