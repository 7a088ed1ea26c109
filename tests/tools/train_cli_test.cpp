// `bytegrad train` end to end on a tiny model and corpus: what a run does when its loss or
// gradient stops being finite (the divergence of a learning rate of 1e6 without clipping), and
// what generation and scoring do with a model whose weights are not finite.
#include <doctest/doctest.h>

#include <sys/wait.h>
#include <unistd.h>

#include <cmath>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>

#include "io/safetensors.h"
#include "tensor/finite.h"
#include "tensor/ops.h"
#include "train/checkpoint.h"
#include "tests/tools/tiny_corpus.h"
#include "train/metrics.h"
#include "train/run_directory.h"

namespace bytegrad::tools {
namespace {

namespace fs = std::filesystem;

struct CommandResult {
  int status = -1;
  std::string out;
  std::string err;
};

std::string read_file(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

// A fresh directory holding a small corpus of documents separated by "\n%\n".
fs::path corpus_directory(const std::string& name) {
  const fs::path dir = fs::path(BYTEGRAD_BINARY_DIR) / "tools_tests" / name;
  fs::remove_all(dir);
  fs::create_directories(dir);
  testing::write_tiny_corpus(dir);
  return dir;
}

// Runs `bytegrad ARGUMENTS` in `dir` with `input` on stdin, after the shell commands `setup`.
CommandResult run_bytegrad(const fs::path& dir, const std::string& arguments, const std::string& input = "",
                           const std::string& setup = "") {
  std::ofstream(dir / "stdin") << input;
  const std::string command = "cd '" + dir.string() + "' && " + setup + "'" BYTEGRAD_BINARY_DIR "/bytegrad' " +
                              arguments + " < stdin > stdout 2> stderr";
  const int raw = std::system(command.c_str());
  return {WIFEXITED(raw) ? WEXITSTATUS(raw) : -1, read_file(dir / "stdout"), read_file(dir / "stderr")};
}

// The README's config shrunk to a model and run of a few milliseconds (8 steps, a checkpoint
// every 2, the newest 2 kept) into ./run.
std::string tiny_run(const std::string& extra) {
  return "train --config '" BYTEGRAD_SOURCE_DIR "/configs/fortunes-llama.json' --set 'data.paths=[\"corpus.txt\"]' "
         "--set data.bpe_vocab_size=300 --set model.hidden_size=16 --set model.num_hidden_layers=1 "
         "--set model.num_attention_heads=2 --set model.num_key_value_heads=1 --set model.intermediate_size=32 "
         "--set training.steps=8 --set training.batch_size=2 --set training.seq_len=16 --set training.log_interval=1 "
         "--set checkpoint.interval=2 --set eval.interval=0 --set sample.interval=0 --set output_dir=run " +
         extra;
}

// The tiny run diverging from step 4 on: a peak learning rate of 1e6 with no gradient clipping,
// the issue's reproduction.
std::string diverging_run(const std::string& extra) {
  return tiny_run("--set optimizer.lr=1e6 --set optimizer.grad_clip=0 " + extra);
}

bool contains(const std::string& text, const std::string& part) { return text.find(part) != std::string::npos; }

void check_finite_checkpoint(const fs::path& directory) {
  const train::Checkpoint checkpoint = train::load_checkpoint(directory.string());
  for (const io::TensorMap* part : {&checkpoint.model, &checkpoint.optimizer})
    CHECK(ops::first_nonfinite({part->begin(), part->end()}).empty());
}

}  // namespace

TEST_CASE("a diverging run stops at the first non-finite step, naming it, its value and the last good checkpoint") {
  const fs::path dir = corpus_directory("train_diverging");
  const CommandResult run = run_bytegrad(dir, diverging_run(""));
  INFO(run.out << run.err);
  CHECK(run.status == 1);
  CHECK(contains(run.err, "training stopped at step 4: loss 5."));
  CHECK(contains(run.err, "gradient norm -nan (not finite)"));
  CHECK(contains(run.err, "the last good checkpoint is run/checkpoint-2"));
  // Only the checkpoint of before the divergence, whole and finite; the log stops at the last step taken.
  CHECK(fs::exists(dir / "run/checkpoint-2"));
  CHECK_FALSE(fs::exists(dir / "run/checkpoint-4"));
  check_finite_checkpoint(dir / "run/checkpoint-2");
  CHECK(train::read_metrics(dir / "run/metrics.jsonl").size() == 3);
}

TEST_CASE("with on_nonfinite skip the run counts skipped steps, logs them as null and writes only finite checkpoints") {
  const fs::path dir = corpus_directory("train_diverging_skip");
  const CommandResult run = run_bytegrad(dir, diverging_run("--set training.on_nonfinite=skip"));
  INFO(run.out << run.err);
  CHECK(run.status == 0);
  CHECK(contains(run.out, "skipped 5 steps whose loss or gradient norm was not finite"));
  const std::vector<train::MetricsRecord> records = train::read_metrics(dir / "run/metrics.jsonl");
  REQUIRE(records.size() == 8);
  CHECK_FALSE(records[2].skipped);
  CHECK(records[3].skipped);
  CHECK(std::isnan(records[3].grad_norm));
  CHECK(contains(read_file(dir / "run/metrics.jsonl"), "\"grad_norm\":null"));
  CHECK(contains(read_file(dir / "run/loss.svg"), "<polyline"));
  check_finite_checkpoint(dir / "run/checkpoint-8");
}

TEST_CASE("generate and score refuse a model whose weights hold a NaN, naming the tensor") {
  const fs::path dir = corpus_directory("train_nan_weights");
  REQUIRE(run_bytegrad(dir, tiny_run("--set training.steps=2")).status == 0);
  const fs::path weights = dir / "run/model/model.safetensors";
  io::TensorMap tensors = io::load_safetensors(weights.string()).tensors;
  ops::copy_(tensors.at("model.norm.weight"), full({1}, NAN));
  io::save_safetensors(weights.string(), tensors);
  const std::string expected = "run/model: weight 'model.norm.weight' holds NaN or infinite values";
  const CommandResult generate = run_bytegrad(dir, "generate --model run/model --prompt the --max-new-tokens 3");
  CHECK(generate.status == 1);
  CHECK(contains(generate.err, expected));
  const CommandResult score = run_bytegrad(dir, "score --model run/model", "{\"prompt\": \"the\", \"response\": \" cat\"}\n");
  CHECK(score.status == 1);
  CHECK(contains(score.err, expected));

  // Training from it stops at step 1; --detect-anomaly names the op and the module instead.
  const std::string from_nan = tiny_run("--set init_from=run/model --set output_dir=from_nan");
  const CommandResult stopped = run_bytegrad(dir, from_nan);
  CHECK(stopped.status == 1);
  CHECK(contains(stopped.err, "training stopped at step 1: loss nan"));
  CHECK(contains(stopped.err, "no checkpoint was written before it"));
  const CommandResult anomaly = run_bytegrad(dir, from_nan + " --overwrite --detect-anomaly");
  CHECK(anomaly.status == 1);
  CHECK(contains(anomaly.err, "bytegrad train: anomaly: forward of '"));
  CHECK(contains(anomaly.err, "in module model.norm produced NaN"));
}

TEST_CASE("a model too big to train is refused before the corpus is read, with the bytes it would need") {
  const fs::path dir = corpus_directory("train_too_big");
  const CommandResult run = run_bytegrad(dir, "train --config '" BYTEGRAD_SOURCE_DIR "/configs/fortunes-llama.json' "
                                              "--set 'data.paths=[\"missing.txt\"]' --set model.num_hidden_layers=1e9 "
                                              "--set output_dir=run");
  CHECK(run.status == 1);
  CHECK(contains(run.err, "fortunes-llama.json: the model would have "));
  CHECK(contains(run.err, " bytes ("));
  CHECK_FALSE(contains(run.err, "missing.txt"));
  CHECK_FALSE(fs::exists(dir / "run"));
}

TEST_CASE("a second run into a directory holding checkpoints is refused; --overwrite replaces the earlier run") {
  const fs::path dir = corpus_directory("train_twice");
  REQUIRE(run_bytegrad(dir, tiny_run("")).status == 0);
  fs::create_directories(dir / "run/notes");  // not a run file: an overwrite leaves it
  const CommandResult again = run_bytegrad(dir, tiny_run("--set training.steps=4"));
  CHECK(again.status == 1);
  CHECK(contains(again.err, "run holds the checkpoints of an earlier run (checkpoint-6, checkpoint-8): pass --resume run "
                            "to continue it, --overwrite to replace it, or choose another output_dir"));
  CHECK(train::read_metrics(dir / "run/metrics.jsonl").size() == 8);
  const CommandResult overwrite = run_bytegrad(dir, tiny_run("--set training.steps=4 --overwrite"));
  CHECK(overwrite.status == 0);
  CHECK(train::read_metrics(dir / "run/metrics.jsonl").size() == 4);
  CHECK(fs::exists(dir / "run/checkpoint-4"));
  CHECK_FALSE(fs::exists(dir / "run/checkpoint-8"));
  CHECK(fs::exists(dir / "run/notes"));
  CHECK(run_bytegrad(dir, "train --resume run --overwrite").status == 2);
}

TEST_CASE("sft refuses an output directory holding an earlier fine-tuning run's model unless --overwrite") {
  const fs::path dir = corpus_directory("sft_twice");
  REQUIRE(run_bytegrad(dir, tiny_run("")).status == 0);
  std::ofstream(dir / "train.jsonl") << R"({"prompt": "the cat", "response": " sat"})" << '\n'
                                     << R"({"prompt": "a dog", "response": " ran"})" << '\n';
  std::ofstream(dir / "sft.json") << R"({"model": "run/model", "data": {"train": "train.jsonl"},
    "training": {"steps": 2, "batch_size": 2, "log_interval": 1}, "output_dir": "tuned"})";
  REQUIRE(run_bytegrad(dir, "sft --config sft.json").status == 0);
  const std::string first_metrics = read_file(dir / "tuned/metrics.jsonl");
  const CommandResult again = run_bytegrad(dir, "sft --config sft.json --set training.steps=1");
  CHECK(again.status == 1);
  CHECK(contains(again.err, "tuned holds the model of an earlier run (model/): pass --overwrite to replace it"));
  CHECK(read_file(dir / "tuned/metrics.jsonl") == first_metrics);  // nothing of the earlier run touched
  const CommandResult overwrite = run_bytegrad(dir, "sft --config sft.json --set training.steps=1 --overwrite");
  INFO(overwrite.out << overwrite.err);
  CHECK(overwrite.status == 0);
  CHECK(train::read_metrics(dir / "tuned/metrics.jsonl").size() == 1);
  CHECK(fs::exists(dir / "tuned/run.lock"));
}

TEST_CASE("--resume continues with the run's saved config, logs overrides, and no step appears twice in metrics.jsonl") {
  const fs::path dir = corpus_directory("train_resume");
  REQUIRE(run_bytegrad(dir, tiny_run("")).status == 0);
  const std::vector<train::MetricsRecord> whole = train::read_metrics(dir / "run/metrics.jsonl");
  fs::create_directories(dir / "run/checkpoint-8.tmp-AbCdEf");  // a save a kill interrupted
  // From step 6 (not the newest checkpoint), as after a crash that lost the later steps' checkpoint.
  const CommandResult resumed = run_bytegrad(dir, "train --resume run/checkpoint-6 --set training.log_interval=2");
  INFO(resumed.out << resumed.err);
  CHECK(resumed.status == 0);
  CHECK(contains(resumed.out, "override on resume: training.log_interval: 1 -> 2"));
  CHECK(contains(resumed.out, "resumed from run/checkpoint-6 at step 6"));
  const std::vector<train::MetricsRecord> records = train::read_metrics(dir / "run/metrics.jsonl");
  REQUIRE(records.size() == 8);
  for (size_t i = 0; i < records.size(); ++i) {
    CHECK(records[i].step == int64_t(i + 1));
    CHECK(records[i].loss == whole[i].loss);  // the resumed steps are the ones an uninterrupted run takes
  }
  CHECK_FALSE(fs::exists(dir / "run/checkpoint-8.tmp-AbCdEf"));
  CHECK(run_bytegrad(dir, "train --resume run/checkpoint-6 --set output_dir=elsewhere").status == 1);
}

TEST_CASE("a run directory another live process holds is refused, naming that process") {
  const fs::path dir = corpus_directory("train_locked");
  REQUIRE(run_bytegrad(dir, tiny_run("--set training.steps=2")).status == 0);
  {
    const train::RunDirectory held(dir / "run", train::RunStart::Resume);
    const CommandResult second = run_bytegrad(dir, "train --resume run");
    CHECK(second.status == 1);
    CHECK(contains(second.err, "run: another live run (process " + std::to_string(getpid()) +
                                   ") is writing into this directory"));
  }
  CHECK(run_bytegrad(dir, "train --resume run --set training.steps=3").status == 0);
}

TEST_CASE("init_from with the data its model was trained on passes the tokenizer check; another BPE is refused before training") {
  const fs::path dir = corpus_directory("train_init_from");
  REQUIRE(run_bytegrad(dir, tiny_run("--set training.steps=2")).status == 0);
  const CommandResult more = run_bytegrad(dir, tiny_run("--set training.steps=2 --set init_from=run/model --set output_dir=more"));
  INFO(more.out << more.err);
  CHECK(more.status == 0);
  const CommandResult other =
      run_bytegrad(dir, tiny_run("--set init_from=run/model --set output_dir=other --set data.bpe_vocab_size=280"));
  CHECK(other.status == 1);
  CHECK(contains(other.err, "fortunes-llama.json: the data's tokenizer has 280 tokens but init_from's model was "
                            "trained with a tokenizer of 292"));
  CHECK_FALSE(fs::exists(dir / "other/metrics.jsonl"));
}

TEST_CASE("a checkpoint write that fails (the file-size limit, as a full disk) stops the run and keeps the checkpoints") {
  const fs::path dir = corpus_directory("train_write_fails");
  REQUIRE(run_bytegrad(dir, tiny_run("--set training.steps=4")).status == 0);
  // 20 blocks (10 or 20 KiB as the shell counts them): the tokenizer and the metrics fit, the
  // model's weights (29 KB) do not. SIGXFSZ is ignored, so the write fails with EFBIG instead of
  // the signal ending the process.
  const CommandResult full = run_bytegrad(dir, "train --resume run --set training.steps=6",
                                          "", "trap '' XFSZ; ulimit -f 20; ");
  CHECK(full.status == 1);
  CHECK(contains(full.err, "run/checkpoint-6: checkpoint not saved, the previous one is kept: "));
  CHECK(contains(full.err, ".safetensors: write failed: File too large"));
  check_finite_checkpoint(dir / "run/checkpoint-4");
  CHECK(fs::exists(dir / "run/checkpoint-2"));
  CHECK_FALSE(fs::exists(dir / "run/checkpoint-6"));
  // Room again: the run resumes from the checkpoint that was kept.
  const CommandResult resumed = run_bytegrad(dir, "train --resume run --set training.steps=6");
  CHECK(resumed.status == 0);
  CHECK(contains(resumed.out, "resumed from run/checkpoint-4 at step 4"));
  CHECK(train::read_metrics(dir / "run/metrics.jsonl").size() == 6);
}

}  // namespace bytegrad::tools
