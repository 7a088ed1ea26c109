// `bytegrad train`, `--resume`, `sft` and `generate` on each device: a tiny run placed with
// --set device=..., evaluated, sampled, checkpointed and resumed there, logs the CPU run's losses;
// its model generates the CPU model's greedy text there. On the CPU alone this checks that a run
// repeats itself exactly; with CUDA devices (ctest cuda_tools) it checks each against the CPU.
#include <doctest/doctest.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "tests/devices.h"
#include "tests/tools/tiny_corpus.h"
#include "train/metrics.h"

namespace bytegrad::testing {
namespace {

namespace fs = std::filesystem;

std::string read_text(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

struct Run {
  int status = -1;
  std::string out, err;
};

// Runs `bytegrad ARGUMENTS` inside `dir`.
Run bytegrad_in(const fs::path& dir, const std::string& arguments) {
  const std::string command = "cd '" + dir.string() + "' && '" BYTEGRAD_BINARY_DIR "/bytegrad' " + arguments +
                              " > stdout 2> stderr < /dev/null";
  const int raw = std::system(command.c_str());
  return {WIFEXITED(raw) ? WEXITSTATUS(raw) : -1, read_text(dir / "stdout"), read_text(dir / "stderr")};
}

// A folder of its own for `device` holding a small corpus of documents separated by "\n%\n".
fs::path run_folder(const Device& device) {
  std::string name = "device_run_" + device.str();
  for (char& c : name)
    if (c == ':') c = '_';
  const fs::path dir = fs::path(BYTEGRAD_BINARY_DIR) / "tools_tests" / name;
  fs::remove_all(dir);
  fs::create_directories(dir);
  testing::write_tiny_corpus(dir);
  return dir;
}

// 6 steps of a tiny Llama on `device`, evaluated and sampled at step 4, checkpointed every 2.
std::string tiny_run(const Device& device) {
  return "train --config '" BYTEGRAD_SOURCE_DIR "/configs/fortunes-llama.json' --set 'data.paths=[\"corpus.txt\"]' "
         "--set data.bpe_vocab_size=300 --set model.hidden_size=16 --set model.num_hidden_layers=1 "
         "--set model.num_attention_heads=2 --set model.num_key_value_heads=1 --set model.intermediate_size=32 "
         "--set training.steps=6 --set training.batch_size=2 --set training.seq_len=16 --set training.log_interval=1 "
         "--set checkpoint.interval=2 --set eval.interval=4 --set eval.batches=2 --set sample.interval=4 "
         "--set output_dir=run --set device=" + device.str();
}

struct DeviceRun {
  std::vector<train::MetricsRecord> metrics;  // the whole run, then its last two steps again after --resume
  std::string generated;                      // greedy text from the trained model
};

DeviceRun train_and_generate(const Device& device) {
  const fs::path dir = run_folder(device);
  DeviceRun result;
  const Run trained = bytegrad_in(dir, tiny_run(device));
  REQUIRE_MESSAGE(trained.status == 0, trained.out << trained.err);
  result.metrics = train::read_metrics(dir / "run/metrics.jsonl");
  // From the step-4 checkpoint: the two steps again, on the device, from saved state.
  const Run resumed = bytegrad_in(dir, "train --resume run/checkpoint-4");
  REQUIRE_MESSAGE(resumed.status == 0, resumed.out << resumed.err);
  const std::vector<train::MetricsRecord> again = train::read_metrics(dir / "run/metrics.jsonl");
  REQUIRE(again.size() == result.metrics.size());
  for (size_t i = 0; i < again.size(); ++i) CHECK(again[i].loss == doctest::Approx(result.metrics[i].loss).epsilon(1e-6));
  const Run generated = bytegrad_in(dir, "generate --model run/model --prompt 'the cat' --temperature 0 "
                                         "--max-new-tokens 12 --device " + device.str());
  REQUIRE_MESSAGE(generated.status == 0, generated.err);
  result.generated = generated.out;
  return result;
}

TEST_CASE("bytegrad train, --resume and generate on each device log the CPU's losses and text") {
  const DeviceRun cpu = train_and_generate(kCPU);
  REQUIRE(cpu.metrics.size() == 6);
  for_each_device([&](Device device) {
    const DeviceRun run = train_and_generate(device);
    REQUIRE(run.metrics.size() == cpu.metrics.size());
    for (size_t i = 0; i < run.metrics.size(); ++i) {
      CHECK(run.metrics[i].loss == doctest::Approx(cpu.metrics[i].loss).epsilon(1e-4));
      if (cpu.metrics[i].eval_loss) {
        REQUIRE(run.metrics[i].eval_loss);
        CHECK(*run.metrics[i].eval_loss == doctest::Approx(*cpu.metrics[i].eval_loss).epsilon(1e-4));
      }
    }
    CHECK(run.generated == cpu.generated);
  });
}

}  // namespace
}  // namespace bytegrad::testing
