// Checkpoints: a directory of model weights, optimizer tensors and training state that is
// replaced whole or not at all, and the Hugging Face layout of save_pretrained.
#include <doctest/doctest.h>

#include <sys/resource.h>

#include <cmath>
#include <csignal>
#include <filesystem>
#include <string>

#include "tests/scratch_directory.h"
#include "tests/test_util.h"
#include "train/checkpoint.h"
#include "io/model_weights.h"

namespace bytegrad::train {
namespace {

using bytegrad::testing::check_close;
using bytegrad::testing::error_of;
using namespace bytegrad::testing;

io::TensorMap model_at(double value) {
  return {{"model.embed_tokens.weight", full({4, 2}, value)},
          {"model.norm.weight", full({2}, value, {kBFloat16, kCPU})}};
}

io::TensorMap optimizer_at(double value) {
  return {{"exp_avg/model.norm.weight", full({2}, value)},
          {"exp_avg_sq/model.norm.weight", full({2}, value * value)}};
}

nlohmann::json state_at(int step) {
  return {{"step", step},
          {"rng", {{"seed", 1234}, {"offset", 99 * step}}},
          {"data_position", {{"shard", 2}, {"token", 4096 * step}}},
          {"config", {{"lr", 3e-4}}}};
}

void check_checkpoint(const Checkpoint& checkpoint, double value, int step) {
  for (const auto& [name, tensor] : model_at(value)) check_close(checkpoint.model.at(name), tensor, 0, 0);
  for (const auto& [name, tensor] : optimizer_at(value))
    check_close(checkpoint.optimizer.at(name), tensor, 0, 0);
  CHECK(checkpoint.state == state_at(step));
}

}  // namespace

TEST_CASE("checkpoint: weights, optimizer tensors and state round-trip") {
  const std::string directory = scratch_directory("checkpoint_roundtrip") + "/step-10";
  save_checkpoint(directory, model_at(1.5), optimizer_at(1.5), state_at(10));
  check_checkpoint(load_checkpoint(directory), 1.5, 10);
  CHECK(entries(directory) ==
        std::vector<std::string>{"model.safetensors", "optimizer.safetensors", "training_state.json"});
}

TEST_CASE("checkpoint: saving again replaces the whole directory and leaves nothing beside it") {
  const std::string parent = scratch_directory("checkpoint_replace");
  save_checkpoint(parent + "/latest", model_at(1), optimizer_at(1), state_at(1));
  save_checkpoint(parent + "/latest/", model_at(2), optimizer_at(2), state_at(2));
  check_checkpoint(load_checkpoint(parent + "/latest"), 2, 2);
  CHECK(entries(parent) == std::vector<std::string>{"latest"});
}

TEST_CASE("checkpoint: a save that fails midway keeps the previous checkpoint intact") {
  const std::string parent = scratch_directory("checkpoint_failed_save");
  const std::string directory = parent + "/latest";
  save_checkpoint(directory, model_at(1), optimizer_at(1), state_at(1));
  // The model file is written, then the optimizer's undefined tensor fails the save.
  const std::string error = error_of([&] {
    save_checkpoint(directory, model_at(2), {{"exp_avg/broken", Tensor()}}, state_at(2));
  });
  CHECK(error.rfind(directory + ": checkpoint not saved, the previous one is kept", 0) == 0);
  CHECK(error.find("optimizer.safetensors: tensor 'exp_avg/broken' is undefined") != std::string::npos);
  check_checkpoint(load_checkpoint(directory), 1, 1);
  CHECK(entries(parent) == std::vector<std::string>{"latest"});
}

TEST_CASE("checkpoint: weights or moments holding NaN or infinity are refused, naming the tensor") {
  const std::string parent = scratch_directory("checkpoint_nonfinite");
  const std::string directory = parent + "/latest";
  save_checkpoint(directory, model_at(1), optimizer_at(1), state_at(1));
  io::TensorMap model = model_at(2);
  model["model.norm.weight"] = full({2}, NAN, {kBFloat16, kCPU});
  CHECK(error_of([&] { save_checkpoint(directory, model, optimizer_at(2), state_at(2)); }) ==
        directory + ": checkpoint not written: model tensor 'model.norm.weight' holds NaN or infinite values; "
                    "the previous checkpoint is kept");
  io::TensorMap optimizer = optimizer_at(2);
  optimizer["exp_avg_sq/model.norm.weight"] = full({2}, INFINITY);
  CHECK(error_of([&] { save_checkpoint(directory, model_at(2), optimizer, state_at(2)); }).find(
            "optimizer tensor 'exp_avg_sq/model.norm.weight' holds NaN or infinite values") != std::string::npos);
  check_checkpoint(load_checkpoint(directory), 1, 1);
  CHECK(entries(parent) == std::vector<std::string>{"latest"});
}

// Runs `body` with the process's file-size limit at `bytes`: a write past it fails with EFBIG,
// as a write to a full disk fails with ENOSPC (SIGXFSZ, which would end the process, ignored).
template <typename Body>
void with_file_size_limit(rlim_t bytes, Body&& body) {
  rlimit saved{};
  REQUIRE(getrlimit(RLIMIT_FSIZE, &saved) == 0);
  const auto previous_handler = std::signal(SIGXFSZ, SIG_IGN);
  rlimit limited = saved;
  limited.rlim_cur = bytes;
  REQUIRE(setrlimit(RLIMIT_FSIZE, &limited) == 0);
  body();
  setrlimit(RLIMIT_FSIZE, &saved);
  std::signal(SIGXFSZ, previous_handler);
}

TEST_CASE("checkpoint: a write that fails (a full disk) names the file and keeps the previous checkpoint") {
  const std::string parent = scratch_directory("checkpoint_write_fails");
  const std::string directory = parent + "/latest";
  save_checkpoint(directory, model_at(1), optimizer_at(1), state_at(1));
  io::TensorMap big = model_at(2);
  big["model.embed_tokens.weight"] = full({256, 64}, 2.0);  // 64 KiB: past the limit below
  std::string error;
  with_file_size_limit(16 << 10, [&] { error = error_of([&] { save_checkpoint(directory, big, optimizer_at(2), state_at(2)); }); });
  CHECK(error.rfind(directory + ": checkpoint not saved, the previous one is kept: ", 0) == 0);
  CHECK(error.find("model.safetensors") != std::string::npos);
  CHECK(error.find("write failed: File too large") != std::string::npos);
  check_checkpoint(load_checkpoint(directory), 1, 1);
  CHECK(entries(parent) == std::vector<std::string>{"latest"});
}

TEST_CASE("checkpoint: a save whose target cannot be created fails without touching anything") {
  const std::string parent = scratch_directory("checkpoint_unwritable");
  write_text(parent + "/a_file", "not a directory");
  const std::string error =
      error_of([&] { save_checkpoint(parent + "/a_file/latest", model_at(1), optimizer_at(1), state_at(1)); });
  CHECK(error.rfind(parent + "/a_file/latest", 0) == 0);
  CHECK(error.find("cannot create a temporary directory") != std::string::npos);
  CHECK(entries(parent) == std::vector<std::string>{"a_file"});
}

TEST_CASE("checkpoint: the previous checkpoint is read when a crash interrupted the swap") {
  const std::string parent = scratch_directory("checkpoint_previous");
  save_checkpoint(parent + "/latest", model_at(3), optimizer_at(3), state_at(3));
  std::filesystem::rename(parent + "/latest", parent + "/latest.previous");
  check_checkpoint(load_checkpoint(parent + "/latest"), 3, 3);
}

TEST_CASE("checkpoint: damaged parts are named") {
  const std::string directory = scratch_directory("checkpoint_damaged") + "/latest";
  save_checkpoint(directory, model_at(1), optimizer_at(1), state_at(1));
  write_text(directory + "/training_state.json", "{\"step\": ");
  std::string error = error_of([&] { load_checkpoint(directory); });
  CHECK(error.rfind(directory + "/training_state.json: not valid JSON", 0) == 0);

  std::filesystem::remove(directory + "/optimizer.safetensors");
  error = error_of([&] { load_checkpoint(directory); });
  CHECK(error.rfind(directory + "/optimizer.safetensors: cannot open", 0) == 0);

  error = error_of([&] { load_checkpoint(directory + "-missing"); });
  CHECK(error.find("no checkpoint directory there") != std::string::npos);
}

TEST_CASE("save_pretrained: config.json and model.safetensors in Hugging Face's layout") {
  const std::string directory = scratch_directory("pretrained") + "/model";
  const nlohmann::json config = {{"hidden_size", 2}, {"vocab_size", 4}, {"model_type", "llama"}};
  save_pretrained(directory, model_at(7), config);
  CHECK(entries(directory) == std::vector<std::string>{"config.json", "model.safetensors"});
  std::ifstream config_file(directory + "/config.json");
  CHECK(nlohmann::json::parse(config_file) == config);
  CHECK(io::load_safetensors(directory + "/model.safetensors").metadata.at("format") == "pt");
  const io::TensorMap weights = io::load_pretrained_weights(directory);
  for (const auto& [name, tensor] : model_at(7)) check_close(weights.at(name), tensor, 0, 0);
}

}  // namespace bytegrad::train
