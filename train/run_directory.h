// The output directory of a training run: one run per directory and one live process per run.
//
//   RunDirectory directory(config.output_dir, RunStart::Fresh);   // locked until destroyed
//
// A fresh run refuses a directory that holds another run's checkpoints (keep_last would sort the
// two runs' checkpoints together and --resume would continue the wrong one) unless told to
// overwrite it or to resume it. A resumed run takes its settings from the run_config.json it
// saved, with explicit overrides on top.
#pragma once

#include <cstdint>
#include <filesystem>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

namespace bytegrad::train {

enum class RunStart {
  Fresh,      // the directory must hold no checkpoints
  Overwrite,  // the run files of an earlier run there are removed first
  Resume,     // the directory's run continues
};

// The lock file in a run directory; it names the process holding it.
inline constexpr const char* kRunLockFile = "run.lock";

class RunDirectory {
 public:
  // Creates `directory` when missing and locks it (flock on run.lock, which the system releases
  // when the process ends, even killed); removes the ".tmp-" staging leftovers of saves that an
  // interrupted run never finished. Then Fresh throws Error naming the checkpoints found and the
  // options (or the model/ of a run that saved only at its end, as fine-tuning does), and
  // Overwrite removes the checkpoints, metrics.jsonl, loss.svg, model/, tokenizer.json,
  // run_config.json and sft_config.json (other files, such as a data/ folder, are left alone). Throws Error naming the
  // directory and the holder's process id when another live process holds the lock.
  RunDirectory(const std::filesystem::path& directory, RunStart start);
  ~RunDirectory();  // releases the lock
  RunDirectory(const RunDirectory&) = delete;
  RunDirectory& operator=(const RunDirectory&) = delete;

 private:
  // Everything after locking: staging leftovers, then what `start` asks of earlier runs' files.
  static void prepare(const std::filesystem::path& directory, RunStart start);

  int lock_fd_ = -1;
};

struct ResumedRun {
  std::filesystem::path directory;   // the run directory (the checkpoint's parent)
  std::filesystem::path checkpoint;  // the checkpoint resumed from
  int64_t step = 0;                  // the step that checkpoint was taken after
  nlohmann::json config;             // the saved run_config.json with the overrides applied
  std::vector<std::string> changes;  // one "KEY: SAVED -> NEW" line per override
};

// What `bytegrad train --resume PATH --set ...` continues: PATH is a run directory (its newest
// checkpoint) or a checkpoint directory. The config is the run's saved run_config.json; an
// override may change any key but output_dir (a run continues where it is). Throws Error naming
// the path when there is no checkpoint or no run_config.json.
ResumedRun resume_run(const std::filesystem::path& path, const std::vector<std::string>& overrides);

}  // namespace bytegrad::train
