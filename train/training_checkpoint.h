// Saving and resuming a Trainer through a checkpoint directory (train/checkpoint.h): the model's
// weights, the optimizer's moments, and in training_state.json the step, the optimizer's step
// count, the model generator's seed and offset, the training data position and the run's config.
// Resuming restores all of them, so on CPU the resumed run takes the same steps with the same
// losses as one that was never interrupted.
//
// A run keeps its checkpoints as <output_dir>/checkpoint-STEP (each written atomically), the
// newest `keep_last` of them; runs from before kept one <output_dir>/checkpoint, still read.
#pragma once

#include <cstdint>
#include <filesystem>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "train/trainer.h"

namespace bytegrad::train {

// Writes `trainer`'s state to `directory`, with `run_config` (the run's config, for the record)
// under "config". A data-parallel trainer's ranks all call it (a sharded optimizer gathers its
// state from every rank) and rank 0 alone writes.
void save_training_checkpoint(const std::string& directory, Trainer& trainer, const nlohmann::json& run_config);

// Loads `directory` into `trainer` (built from the same config) and returns the saved config.
// Throws Error naming the directory when a model or optimizer tensor is missing or mis-shaped,
// or training_state.json lacks a field.
nlohmann::json load_training_checkpoint(const std::string& directory, Trainer& trainer);

// "checkpoint-STEP", the name of the checkpoint taken after step STEP.
std::string checkpoint_name(int64_t step);

struct StepCheckpoint {
  int64_t step;
  std::filesystem::path directory;
};

// The complete checkpoint-STEP directories in `run_directory`, oldest first. Half-written ones
// (the ".tmp-" staging directories of an interrupted save) are not listed.
std::vector<StepCheckpoint> list_checkpoints(const std::filesystem::path& run_directory);

// Removes all but the newest `keep_last` (>= 1) checkpoint-STEP directories of `run_directory`;
// returns the ones removed.
std::vector<std::filesystem::path> prune_checkpoints(const std::filesystem::path& run_directory, int64_t keep_last);

// The checkpoint to resume from or export, given a checkpoint directory itself or a run's
// output directory: its newest checkpoint-STEP, else its single "checkpoint" of the older
// layout. Throws Error naming `path` when neither is there.
std::filesystem::path resolve_checkpoint(const std::filesystem::path& path);

}  // namespace bytegrad::train
