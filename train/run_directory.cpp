#include "train/run_directory.h"

#include <fcntl.h>
#include <sys/file.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <algorithm>
#include <fstream>

#include "base/error.h"
#include "io/json_file.h"
#include "train/run_config.h"
#include "train/training_checkpoint.h"

namespace bytegrad::train {
namespace fs = std::filesystem;

namespace {

// The files a run writes into its directory (besides checkpoints), removed by an overwrite.
constexpr const char* kRunFiles[] = {"metrics.jsonl", "loss.svg", "model", "tokenizer.json", "run_config.json",
                                     "sft_config.json"};

bool is_staging_leftover(const std::string& name) { return name.find(".tmp-") != std::string::npos; }

std::string read_holder(const fs::path& lock_path) {
  std::ifstream in(lock_path);
  std::string pid;
  std::getline(in, pid);
  return pid.empty() ? "unknown" : pid;
}

// "checkpoint-500, checkpoint-1000"
std::string checkpoint_names(const std::vector<StepCheckpoint>& checkpoints) {
  std::string names;
  for (const StepCheckpoint& c : checkpoints) names += (names.empty() ? "" : ", ") + c.directory.filename().string();
  return names;
}

}  // namespace

RunDirectory::RunDirectory(const fs::path& directory, RunStart start) {
  fs::create_directories(directory);
  const fs::path lock_path = directory / kRunLockFile;
  lock_fd_ = ::open(lock_path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0644);
  BYTEGRAD_CHECK(lock_fd_ >= 0, lock_path.string(), ": cannot open the run's lock file: ", std::strerror(errno));
  if (::flock(lock_fd_, LOCK_EX | LOCK_NB) != 0) {
    const int error = errno;
    ::close(lock_fd_);
    lock_fd_ = -1;
    BYTEGRAD_CHECK(error != EWOULDBLOCK, directory.string(), ": another live run (process ", read_holder(lock_path),
                   ") is writing into this directory; wait for it to end or choose another output_dir");
    throw Error(concat(lock_path.string(), ": cannot lock: ", std::strerror(error)));
  }
  // The pid only makes another run's error clearer; the lock holds without it.
  const std::string pid = std::to_string(::getpid()) + "\n";
  if (::ftruncate(lock_fd_, 0) == 0) (void)!::pwrite(lock_fd_, pid.data(), pid.size(), 0);
  try {
    prepare(directory, start);
  } catch (...) {
    ::close(lock_fd_);  // no destructor runs for a constructor that throws
    throw;
  }
}

void RunDirectory::prepare(const fs::path& directory, RunStart start) {
  for (const auto& entry : fs::directory_iterator(directory))
    if (is_staging_leftover(entry.path().filename().string())) fs::remove_all(entry.path());

  const std::vector<StepCheckpoint> checkpoints = list_checkpoints(directory);
  const bool legacy = fs::exists(directory / "checkpoint" / "training_state.json");
  if (start == RunStart::Fresh) {
    BYTEGRAD_CHECK(checkpoints.empty() && !legacy, directory.string(), " holds the checkpoints of an earlier run (",
                   legacy ? "checkpoint" : checkpoint_names(checkpoints), "): pass --resume ", directory.string(),
                   " to continue it, --overwrite to replace it, or choose another output_dir");
    // A run that saves only at its end (fine-tuning) leaves no checkpoints, only its model.
    BYTEGRAD_CHECK(!fs::exists(directory / "model"), directory.string(),
                   " holds the model of an earlier run (model/): pass --overwrite to replace it, or choose another "
                   "output_dir");
  }
  if (start == RunStart::Overwrite) {
    for (const StepCheckpoint& c : checkpoints) fs::remove_all(c.directory);
    if (legacy) fs::remove_all(directory / "checkpoint");
    for (const char* name : kRunFiles) fs::remove_all(directory / name);
    for (const auto& entry : fs::directory_iterator(directory))  // checkpoint-N.previous of an interrupted swap
      if (entry.path().extension() == ".previous") fs::remove_all(entry.path());
  }
}

RunDirectory::~RunDirectory() {
  if (lock_fd_ >= 0) ::close(lock_fd_);  // closing releases the flock
}

ResumedRun resume_run(const fs::path& path, const std::vector<std::string>& overrides) {
  ResumedRun run;
  run.checkpoint = resolve_checkpoint(path).lexically_normal();
  if (!run.checkpoint.has_filename()) run.checkpoint = run.checkpoint.parent_path();
  run.directory = run.checkpoint.parent_path();
  if (run.directory.empty()) run.directory = ".";
  const fs::path state_path = run.checkpoint / "training_state.json";
  const nlohmann::json state = io::read_json(state_path.string());
  BYTEGRAD_CHECK(state.is_object() && state.contains("step") && state["step"].is_number_integer() &&
                     state["step"].get<int64_t>() >= 0,
                 state_path.string(), ": expected a non-negative integer \"step\"");
  run.step = state["step"].get<int64_t>();
  const fs::path config_path = run.directory / "run_config.json";
  BYTEGRAD_CHECK(fs::exists(config_path), run.directory.string(),
                 ": no run_config.json to resume with (expected the output directory of `bytegrad train`)");
  run.config = io::read_json(config_path.string());
  const nlohmann::json saved = run.config;
  apply_overrides(run.config, overrides);
  for (const std::string& item : overrides) {
    const std::string key = item.substr(0, item.find('='));
    BYTEGRAD_CHECK(key != "output_dir", "--set output_dir: a resumed run continues in its own directory, ",
                   run.directory.string());
    std::string pointer_text = "/" + key;
    std::replace(pointer_text.begin(), pointer_text.end(), '.', '/');
    const nlohmann::json::json_pointer pointer(pointer_text);
    run.changes.push_back(key + ": " + (saved.contains(pointer) ? saved[pointer].dump() : "(unset)") + " -> " +
                          run.config[pointer].dump());
  }
  run.config["output_dir"] = run.directory.string();
  return run;
}

}  // namespace bytegrad::train
