#include "io/model_weights.h"

#include <filesystem>
#include <fstream>
#include <set>

#include <nlohmann/json.hpp>

#include "base/error.h"
#include "io/json_file.h"

namespace bytegrad::io {

TensorMap load_sharded_safetensors(const std::string& index_path) {
  const nlohmann::json index = read_json(index_path);
  BYTEGRAD_CHECK(index.is_object() && index.contains("weight_map") && index["weight_map"].is_object(),
                 index_path, ": expected an object with a 'weight_map' object");
  std::map<std::string, std::set<std::string>> names_by_shard;
  for (const auto& [name, shard] : index["weight_map"].items()) {
    BYTEGRAD_CHECK(shard.is_string(), index_path, ": weight_map entry '", name,
                   "' must name a shard file, got ", shard.dump());
    names_by_shard[shard.get<std::string>()].insert(name);
  }
  const std::filesystem::path directory = std::filesystem::path(index_path).parent_path();
  TensorMap weights;
  for (const auto& [shard, names] : names_by_shard) {
    const std::string shard_path = (directory / shard).string();
    SafetensorsContents contents = load_safetensors(shard_path);
    for (const std::string& name : names) {
      const auto found = contents.tensors.find(name);
      BYTEGRAD_CHECK(found != contents.tensors.end(), index_path, ": weight_map puts '", name,
                     "' in ", shard_path, ", which does not hold it");
      weights.emplace(name, found->second);
    }
  }
  return weights;
}

std::string pretrained_weights_path(const std::string& directory) {
  const std::filesystem::path root(directory);
  for (const char* single : {"model.safetensors", "model.safetensors.zst"})
    if (std::filesystem::exists(root / single)) return (root / single).string();
  const std::filesystem::path index = root / "model.safetensors.index.json";
  BYTEGRAD_CHECK(std::filesystem::exists(index), directory,
                 ": no model.safetensors, model.safetensors.zst or model.safetensors.index.json");
  return index.string();
}

TensorMap load_pretrained_weights(const std::string& directory) {
  const std::string path = pretrained_weights_path(directory);
  if (path.ends_with(".json")) return load_sharded_safetensors(path);
  return load_safetensors(path).tensors;
}

}  // namespace bytegrad::io
