#include "train/checkpoint.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <stdio.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <vector>

#include "base/error.h"
#include "io/atomic_file.h"
#include "io/json_file.h"
#include "tensor/finite.h"

namespace bytegrad::train {
namespace fs = std::filesystem;
namespace {

constexpr const char* kModelFile = "model.safetensors";
constexpr const char* kOptimizerFile = "optimizer.safetensors";
constexpr const char* kStateFile = "training_state.json";

// "a/b/" and "a/b" name the same directory; the sibling names below need the latter.
std::string without_trailing_slash(std::string path) {
  while (path.size() > 1 && path.back() == '/') path.pop_back();
  return path;
}

std::string parent_of(const std::string& path) {
  const fs::path parent = fs::path(path).parent_path();
  return parent.empty() ? "." : parent.string();
}

std::string make_staging_directory(const std::string& directory) {
  std::string pattern = directory + ".tmp-XXXXXX";
  BYTEGRAD_CHECK(mkdtemp(pattern.data()) != nullptr, directory,
                 ": cannot create a temporary directory beside it: ", std::strerror(errno));
  // mkdtemp makes the directory private (0700); it becomes the checkpoint, readable like others.
  chmod(pattern.c_str(), 0755);
  return pattern;
}

// Puts the complete `staging` directory at `directory`. With an existing checkpoint the two are
// exchanged in one atomic renameat2(RENAME_EXCHANGE) and the old one (now at `staging`) removed.
// File systems without exchange get two renames through "<directory>.previous", which
// load_checkpoint falls back to if a crash lands between them.
void move_into_place(const std::string& staging, const std::string& directory) {
  const std::string previous = directory + ".previous";
  std::error_code ignored;  // leftovers of a replaced checkpoint do not make the save fail
  if (!fs::exists(directory)) {
    BYTEGRAD_CHECK(std::rename(staging.c_str(), directory.c_str()) == 0, directory,
                   ": cannot rename the new checkpoint into place: ", std::strerror(errno));
    fs::remove_all(previous, ignored);
    return;
  }
  if (renameat2(AT_FDCWD, staging.c_str(), AT_FDCWD, directory.c_str(), RENAME_EXCHANGE) == 0) {
    fs::remove_all(staging, ignored);
    return;
  }
  BYTEGRAD_CHECK(errno == EINVAL || errno == ENOSYS, directory,
                 ": cannot swap the new checkpoint into place: ", std::strerror(errno));
  fs::remove_all(previous);
  BYTEGRAD_CHECK(std::rename(directory.c_str(), previous.c_str()) == 0, directory,
                 ": cannot move the previous checkpoint aside: ", std::strerror(errno));
  BYTEGRAD_CHECK(std::rename(staging.c_str(), directory.c_str()) == 0, directory,
                 ": cannot rename the new checkpoint into place: ", std::strerror(errno));
  fs::remove_all(previous, ignored);
}

}  // namespace

void save_checkpoint(const std::string& directory_path, const io::TensorMap& model,
                     const io::TensorMap& optimizer, const nlohmann::json& state) {
  const std::string directory = without_trailing_slash(directory_path);
  BYTEGRAD_CHECK(state.is_object(), directory, ": training state must be a JSON object, got ",
                 state.type_name());
  // A diverged run must not replace (or, through rotation, push out) a good checkpoint.
  for (const auto& [part, tensors] : {std::pair{"model", &model}, std::pair{"optimizer", &optimizer}}) {
    const std::string bad = ops::first_nonfinite({tensors->begin(), tensors->end()});
    BYTEGRAD_CHECK(bad.empty(), directory, ": checkpoint not written: ", part, " tensor '", bad,
                   "' holds NaN or infinite values; the previous checkpoint is kept");
  }
  const std::string staging = make_staging_directory(directory);
  try {
    io::save_safetensors(staging + "/" + kModelFile, model);
    io::save_safetensors(staging + "/" + kOptimizerFile, optimizer);
    io::write_json(staging + "/" + kStateFile, state);
    io::sync_directory(staging);
    move_into_place(staging, directory);
  } catch (const std::exception& e) {
    std::error_code ignored;
    fs::remove_all(staging, ignored);
    throw Error(concat(directory, ": checkpoint not saved, the previous one is kept: ", e.what()));
  }
  io::sync_directory(parent_of(directory));
}

Checkpoint load_checkpoint(const std::string& directory_path) {
  std::string directory = without_trailing_slash(directory_path);
  if (!fs::exists(directory) && fs::exists(directory + ".previous")) directory += ".previous";
  BYTEGRAD_CHECK(fs::is_directory(directory), directory, ": no checkpoint directory there");
  Checkpoint checkpoint;
  checkpoint.model = io::load_safetensors(directory + "/" + kModelFile).tensors;
  checkpoint.optimizer = io::load_safetensors(directory + "/" + kOptimizerFile).tensors;
  const std::string state_path = directory + "/" + kStateFile;
  checkpoint.state = io::read_json(state_path);
  BYTEGRAD_CHECK(checkpoint.state.is_object(), state_path, ": expected a JSON object, got ",
                 checkpoint.state.type_name());
  return checkpoint;
}

void save_pretrained(const std::string& directory, const io::TensorMap& state_dict,
                     const nlohmann::json& config) {
  BYTEGRAD_CHECK(config.is_object(), directory, ": config must be a JSON object, got ",
                 config.type_name());
  std::error_code error;
  fs::create_directories(directory, error);
  BYTEGRAD_CHECK(!error, directory, ": cannot create the directory: ", error.message());
  io::save_safetensors(directory + "/model.safetensors", state_dict, {{"format", "pt"}});
  io::write_json(directory + "/config.json", config);
}

}  // namespace bytegrad::train
