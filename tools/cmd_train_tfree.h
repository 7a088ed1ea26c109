// The T-Free branch of `bytegrad train` (tools/cmd_train_tfree.cpp).
#pragma once

#include <nlohmann/json.hpp>

#include "tools/cmd_run_args.h"
#include "train/run_config.h"

namespace bytegrad::tools {

// Trains the T-Free model `config` describes (its model_type is "tfree"); `resolved` is the
// config as run, recorded in checkpoints. Returns the exit status.
int run_train_tfree(const RunArgs& cli, const train::RunConfig& config, const nlohmann::json& resolved);

}  // namespace bytegrad::tools
