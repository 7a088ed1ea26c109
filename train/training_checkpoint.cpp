#include "train/training_checkpoint.h"

#include <algorithm>
#include <climits>
#include <optional>

#include "autograd/grad_mode.h"
#include "tensor/ops.h"
#include "train/checkpoint.h"

namespace bytegrad::train {

void save_training_checkpoint(const std::string& directory, Trainer& trainer, const nlohmann::json& run_config) {
  io::TensorMap optimizer_state;
  for (const auto& [name, tensor] : trainer.optimizer().state()) optimizer_state[name] = tensor;
  std::optional<Zero3::Gathered> whole;  // a sharded model is written whole
  if (trainer.zero3()) whole.emplace(*trainer.zero3());
  if (trainer.communicator() && !trainer.communicator()->is_main()) return;
  const Generator& generator = trainer.model_generator();
  const nlohmann::json state = {{"step", trainer.step()},
                                {"optimizer_steps", trainer.optimizer().step_count()},
                                {"generator_seed", generator.seed()},
                                {"generator_offset", generator.offset()},
                                {"data_position", trainer.train_batches().position()},
                                {"config", run_config}};
  save_checkpoint(directory, trainer.model().state_dict(), optimizer_state, state);
}

nlohmann::json load_training_checkpoint(const std::string& directory, Trainer& trainer) {
  const Checkpoint checkpoint = load_checkpoint(directory);
  for (const char* key : {"step", "optimizer_steps", "generator_seed", "generator_offset", "data_position"})
    BYTEGRAD_CHECK(checkpoint.state.contains(key) && checkpoint.state[key].is_number_integer(), "resume: ",
                   directory, "/training_state.json has no integer \"", key, "\"");
  if (trainer.zero3()) trainer.zero3()->load_model(checkpoint.model);
  else trainer.model().load_state_dict(checkpoint.model);
  trainer.optimizer().load_state(checkpoint.optimizer, "resume: " + directory + "/optimizer.safetensors");
  const nlohmann::json& state = checkpoint.state;
  trainer.set_step(state["step"].get<int64_t>());
  trainer.optimizer().set_step_count(state["optimizer_steps"].get<int64_t>());
  trainer.model_generator().set_state(state["generator_seed"].get<uint64_t>(), state["generator_offset"].get<uint64_t>());
  trainer.train_batches().set_position(state["data_position"].get<int64_t>());
  return state.value("config", nlohmann::json::object());
}

}  // namespace bytegrad::train

namespace bytegrad::train {
namespace fs = std::filesystem;
namespace {

constexpr const char* kCheckpointPrefix = "checkpoint-";

// The step of a "checkpoint-STEP" name, or -1 for any other name (staging directories too).
int64_t step_of(const std::string& name) {
  const std::string prefix = kCheckpointPrefix;
  if (name.size() <= prefix.size() || name.compare(0, prefix.size(), prefix) != 0) return -1;
  int64_t step = 0;
  for (size_t i = prefix.size(); i < name.size(); ++i) {
    if (name[i] < '0' || name[i] > '9' || step > (INT64_MAX - 9) / 10) return -1;
    step = step * 10 + (name[i] - '0');
  }
  return step;
}

bool holds_checkpoint(const fs::path& directory) {
  return fs::exists(directory / "training_state.json") || fs::exists(fs::path(directory.string() + ".previous"));
}

}  // namespace

std::string checkpoint_name(int64_t step) { return kCheckpointPrefix + std::to_string(step); }

std::vector<StepCheckpoint> list_checkpoints(const fs::path& run_directory) {
  std::vector<StepCheckpoint> found;
  std::error_code error;
  for (const auto& entry : fs::directory_iterator(run_directory, error)) {
    const int64_t step = step_of(entry.path().filename().string());
    if (step >= 0 && entry.is_directory() && fs::exists(entry.path() / "training_state.json"))
      found.push_back({step, entry.path()});
  }
  std::sort(found.begin(), found.end(), [](const StepCheckpoint& a, const StepCheckpoint& b) { return a.step < b.step; });
  return found;
}

std::vector<fs::path> prune_checkpoints(const fs::path& run_directory, int64_t keep_last) {
  BYTEGRAD_CHECK(keep_last >= 1, run_directory.string(), ": checkpoints to keep must be at least 1, not ", keep_last);
  const std::vector<StepCheckpoint> checkpoints = list_checkpoints(run_directory);
  std::vector<fs::path> removed;
  for (size_t i = 0; i + size_t(keep_last) < checkpoints.size(); ++i) {
    fs::remove_all(checkpoints[i].directory);
    removed.push_back(checkpoints[i].directory);
  }
  return removed;
}

fs::path resolve_checkpoint(const fs::path& path) {
  if (holds_checkpoint(path)) return path;
  const std::vector<StepCheckpoint> checkpoints = list_checkpoints(path);
  if (!checkpoints.empty()) return checkpoints.back().directory;
  if (holds_checkpoint(path / "checkpoint")) return path / "checkpoint";
  throw Error(concat(path.string(), ": no checkpoint there (expected a checkpoint directory with training_state.json, "
                     "or a run directory holding checkpoint-STEP directories or checkpoint/)"));
}

}  // namespace bytegrad::train
