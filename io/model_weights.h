// Model weights in Hugging Face's directory layouts: one model.safetensors (or our compressed
// model.safetensors.zst), or shards listed by model.safetensors.index.json:
//   {"metadata": {...}, "weight_map": {"<tensor name>": "model-00001-of-00002.safetensors", ...}}
#pragma once

#include <string>

#include "io/safetensors.h"

namespace bytegrad::io {

// Loads every tensor the index's weight_map names, each from its shard (paths relative to the
// index's directory), into one map. Throws Error naming the index or shard for a missing or
// unreadable file, a weight_map that is not an object of strings, or a tensor absent from the
// shard the map names.
TensorMap load_sharded_safetensors(const std::string& index_path);

// The weights of a model directory: model.safetensors, model.safetensors.zst or, failing
// both, model.safetensors.index.json. Throws Error naming the directory when none is there.
TensorMap load_pretrained_weights(const std::string& directory);

// The file load_pretrained_weights reads in `directory` (the index for sharded weights), for
// errors to name. Throws Error naming the directory when none is there.
std::string pretrained_weights_path(const std::string& directory);

}  // namespace bytegrad::io
