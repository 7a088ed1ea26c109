// Training checkpoints and Hugging Face model directories.
//
// A training checkpoint is a directory:
//   model.safetensors        the model's state dict, by its Hugging Face names
//   optimizer.safetensors    the optimizer's tensors (moments, ...), by names the optimizer picks
//   training_state.json      a JSON object the trainer fills: step, RNG seed and offset, data
//                            position, the run's config, ... (this file does not interpret it)
// save_checkpoint writes all three into a temporary sibling directory, flushes them to disk and
// only then swaps it into place, so the directory always holds one complete checkpoint: the
// previous one until the new one is whole.
#pragma once

#include <string>

#include <nlohmann/json.hpp>

#include "io/safetensors.h"

namespace bytegrad::train {

struct Checkpoint {
  io::TensorMap model;
  io::TensorMap optimizer;
  nlohmann::json state;  // the object passed to save_checkpoint
};

// Writes a checkpoint to `directory` (created, or replaced whole when it exists; its parent must
// exist). `state` must be a JSON object. Throws Error naming the path on any failure (undefined
// tensor, full disk, unwritable parent); the previous checkpoint at `directory` is then intact
// and no temporary directory is left behind.
void save_checkpoint(const std::string& directory, const io::TensorMap& model,
                     const io::TensorMap& optimizer, const nlohmann::json& state);

// Reads a checkpoint written by save_checkpoint. When `directory` is missing but
// "<directory>.previous" exists (a crash in the middle of replacing a checkpoint on a file system
// without atomic directory exchange), that complete older checkpoint is read. Throws Error naming
// the file for a missing, truncated or corrupt part.
Checkpoint load_checkpoint(const std::string& directory);

// Writes a model in Hugging Face's layout: `directory`/config.json (the `config` object, with
// Hugging Face's field names) and `directory`/model.safetensors (metadata {"format": "pt"}, as
// transformers writes it). Creates the directory; each file is written atomically. Throws Error
// naming the path on failure.
void save_pretrained(const std::string& directory, const io::TensorMap& state_dict,
                     const nlohmann::json& config);

}  // namespace bytegrad::train
