// Saving and resuming a Trainer through a checkpoint directory (train/checkpoint.h): the model's
// weights, the optimizer's moments, and in training_state.json the step, the optimizer's step
// count, the model generator's seed and offset, the training data position and the run's config.
// Resuming restores all of them, so on CPU the resumed run takes the same steps with the same
// losses as one that was never interrupted.
#pragma once

#include <string>

#include <nlohmann/json.hpp>

#include "train/trainer.h"

namespace bytegrad::train {

// Writes `trainer`'s state to `directory`, with `run_config` (the run's config, for the record)
// under "config".
void save_training_checkpoint(const std::string& directory, Trainer& trainer, const nlohmann::json& run_config);

// Loads `directory` into `trainer` (built from the same config) and returns the saved config.
// Throws Error naming the directory when a model or optimizer tensor is missing or mis-shaped,
// or training_state.json lacks a field.
nlohmann::json load_training_checkpoint(const std::string& directory, Trainer& trainer);

}  // namespace bytegrad::train
