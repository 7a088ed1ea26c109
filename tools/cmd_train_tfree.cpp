// `bytegrad train --config FILE` for a T-Free model ("model_type": "tfree"): reads the corpus
// as words (train/data/word_stream.h; or segment lists to fine-tune, train/data/word_segments.h),
// hashes every distinct word's trigrams once, trains with
// the multi-label objective (train/tfree_objective.h) through the same loop, checkpoints and
// metrics as token models, samples through the decoding dictionary, and writes the model
// directory with its dictionary (the training words by count) beside the weights.
#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <fstream>

#include "infer/tfree_generate.h"
#include "io/model_directory.h"
#include "nn/tfree.h"
#include "tools/cmd_run_args.h"
#include "tools/cmd_train_tfree.h"
#include "train/data/word_segments.h"
#include "train/data/word_stream.h"
#include "train/loss_plot.h"
#include "train/run_export.h"
#include "train/tfree_objective.h"
#include "train/training_checkpoint.h"

namespace bytegrad::tools {
namespace {

namespace fs = std::filesystem;

void print_sample(int64_t step, const std::string& prompt, const infer::TfreeGeneration& sample) {
  std::string text = prompt + sample.text;
  for (size_t at = 0; (at = text.find('\n', at)) != std::string::npos; at += 3) text.replace(at, 1, "\n  ");
  std::printf("--- sample at step %lld ---\n  %s\n---\n", static_cast<long long>(step), text.c_str());
  std::fflush(stdout);
}

}  // namespace

int run_train_tfree(const RunArgs& cli, const train::RunConfig& config, const nlohmann::json& resolved) {
  const auto wall_start = std::chrono::steady_clock::now();
  BYTEGRAD_CHECK(config.init_from.empty() ? config.model.contains("vocab_size") : true, cli.config,
                 ": a T-Free model section needs \"vocab_size\" (V, the hashed rows of its embedding and head; "
                 "the paper's best 1B setting is 8000)");
  train::StartingModel start = train::starting_model(config, 0, cli.config + ": model");
  if (!config.init_from.empty()) std::printf("initialized from %s\n", config.init_from.c_str());
  std::unique_ptr<Generator> model_generator = std::move(start.generator);
  std::unique_ptr<nn::CausalLM> model_owner = std::move(start.model);
  auto& model = dynamic_cast<nn::TFree&>(*model_owner);
  const nn::ModelConfig& model_config = model.config();
  const tokenizer::TrigramHasher hasher(infer::tfree_hash_config(model_config));

  // Pre-training reads a corpus as packed words; fine-tuning reads segment lists, one per row.
  const auto data_start = std::chrono::steady_clock::now();
  std::unique_ptr<train::BatchSource> train_batches, eval_batches;
  tokenizer::WordCounts counts;
  if (config.data.segments.empty()) {
    const std::vector<std::string> documents = train::read_word_documents(config.data.memory_map, config.data.corpus);
    const train::WordCorpus corpus =
        train::split_into_words(documents, hasher, config.data.eval_fraction, config.trainer.seed);
    std::printf("corpus: %zu documents -> %zu train and %zu held-out words, %zu distinct, hashed in %.1f s\n",
                documents.size(), corpus.train.size(), corpus.eval.size(), corpus.table->words.size(),
                std::chrono::duration<double>(std::chrono::steady_clock::now() - data_start).count());
    for (size_t w = 0; w < corpus.table->words.size(); ++w)
      if (corpus.table->counts[w] > 0) counts[corpus.table->words[w]] = corpus.table->counts[w];
    train_batches = std::make_unique<train::WordBatches>(corpus.table, corpus.train, config.batch_size,
                                                         config.seq_len, "training words");
    if (int64_t(corpus.eval.size()) > config.seq_len)
      eval_batches = std::make_unique<train::WordBatches>(corpus.table, corpus.eval, config.batch_size,
                                                          config.seq_len, "held-out words");
  } else {
    std::vector<train::SegmentSample> samples = train::read_segment_samples(config.data.segments);
    for (const train::SegmentSample& sample : samples)
      for (const std::string& word : sample.words) ++counts[word];
    std::printf("fine-tuning data: %zu samples of segments from %s\n", samples.size(), config.data.segments.c_str());
    train_batches = std::make_unique<train::SegmentBatches>(std::move(samples), hasher, config.batch_size,
                                                            config.seq_len, config.data.segments);
    if (!config.data.eval_segments.empty())
      eval_batches = std::make_unique<train::SegmentBatches>(train::read_segment_samples(config.data.eval_segments),
                                                             hasher, config.batch_size, config.seq_len,
                                                             config.data.eval_segments);
  }
  std::printf("model: tfree, %lld layers, hidden %lld, V %lld, m %lld, k %lld, %.2fM parameters; beside a BPE Llama of "
              "the same backbone with the paper's 64k baseline vocabulary:\n%s",
              static_cast<long long>(model_config.num_hidden_layers), static_cast<long long>(model_config.hidden_size),
              static_cast<long long>(model_config.vocab_size), static_cast<long long>(model_config.tfree.population),
              static_cast<long long>(model_config.tfree.lowercase_overlap), double(model.parameter_count()) / 1e6,
              nn::parameter_count_report(model_config, 64000).c_str());

  const std::unique_ptr<train::Optimizer> optimizer = train::make_optimizer(config.optimizer, model);
  train::Trainer trainer(model, *optimizer, config.schedule, std::move(train_batches), std::move(eval_batches),
                         *model_generator, config.trainer, std::make_shared<train::TFreeObjective>());
  const fs::path resumed_from = resume_trainer(cli.resume, trainer);  // empty for a fresh run
  // The words the model may produce: the training words by count; a fine-tuned model keeps its
  // base model's dictionary and gains the fine-tuning data's words.
  const fs::path base_dictionary = config.init_from / infer::kTfreeDictionaryFile;
  tokenizer::TfreeDictionary dictionary =
      !config.init_from.empty() && fs::exists(base_dictionary)
          ? tokenizer::TfreeDictionary::load(base_dictionary)
          : tokenizer::TfreeDictionary::from_counts(hasher, counts, config.data.dictionary_words);
  if (!config.init_from.empty()) {
    std::vector<std::string> words;
    for (const auto& [word, count] : counts) words.push_back(word);
    std::sort(words.begin(), words.end());
    dictionary.add_words(hasher, words);
  }
  std::printf("training: %lld steps of %lld x %lld words (x%lld accumulated), %s, peak lr %g; dictionary of %lld words\n",
              static_cast<long long>(config.trainer.steps), static_cast<long long>(config.batch_size),
              static_cast<long long>(config.seq_len), static_cast<long long>(config.trainer.grad_accum_steps),
              config.optimizer.name.c_str(), config.schedule.peak, static_cast<long long>(dictionary.size()));
  std::fflush(stdout);

  const auto sample = [&](uint64_t seed) {
    infer::TfreeGenerationOptions options;
    options.max_new_words = config.trainer.sample_tokens;
    options.temperature = config.trainer.sample_temperature;
    options.top_p = 1.0;
    options.seed = seed;
    return infer::tfree_generate(model, hasher, dictionary, config.sample_prompt, options);
  };
  const fs::path metrics_path = config.output_dir / "metrics.jsonl";
  train::MetricsLog log(metrics_path, !cli.resume.empty());
  RunProgress progress;
  train::TrainerCallbacks callbacks;
  callbacks.on_step = progress_lines(config, "words/s", 5, progress);
  callbacks.on_sample = [&](int64_t step) {
    print_sample(step, config.sample_prompt, sample(config.trainer.seed * 1000003 + uint64_t(step)));
  };
  const CheckpointedRun run = run_with_checkpoints(trainer, config, resolved, &log, callbacks, resumed_from);
  const train::MetricsRecord& last = run.last;
  const double train_seconds = run.train_seconds;
  const fs::path checkpoint_dir = run.checkpoint;  // the newest complete checkpoint of this run

  const fs::path model_dir = config.output_dir / "model";
  train::save_run_model(model_dir, model, nullptr, {});
  dictionary.save(model_dir / infer::kTfreeDictionaryFile);
  const fs::path svg_path = config.output_dir / "loss.svg";
  std::ofstream(svg_path) << train::loss_curve_svg(train::read_metrics(metrics_path), "bytegrad train: " + cli.config);
  const double wall = std::chrono::duration<double>(std::chrono::steady_clock::now() - wall_start).count();
  std::printf("\nloss %.5f -> %.5f (multi-label BCE per id)", progress.first_loss, last.loss);
  if (last.eval_loss) std::printf(", held-out %.5f", *last.eval_loss);
  std::printf("; %.0f words/s over the run; wall time %s\n", double(progress.positions) / std::max(train_seconds, 1e-9),
              format_duration(wall).c_str());
  if (trainer.skipped_steps() > 0)
    std::printf("skipped %lld steps whose loss or gradient norm was not finite\n",
                static_cast<long long>(trainer.skipped_steps()));
  for (uint64_t i = 1; i <= 3; ++i) print_sample(trainer.step(), config.sample_prompt, sample(config.trainer.seed + i));
  std::printf("wrote %s, %s, %s, %s\n", metrics_path.c_str(), svg_path.c_str(), checkpoint_dir.c_str(), model_dir.c_str());
  return 0;
}

}  // namespace bytegrad::tools
