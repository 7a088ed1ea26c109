// Model files: safetensors (plain or zstd-compressed), config.json, and whole model directories
// (config.json + model.safetensors).
#include <string>

#include "../fuzz_target.h"
#include "io/model_directory.h"
#include "io/safetensors.h"
#include "nn/config.h"

namespace {

using namespace bytegrad;

bool starts_with_zstd_magic(std::string_view bytes) {
  return bytes.size() >= 4 && bytes.substr(0, 4) == std::string_view("\x28\xb5\x2f\xfd", 4);
}

}  // namespace

BYTEGRAD_FUZZ_TARGET(safetensors) {
  const std::string name = starts_with_zstd_magic(input) ? "st/model.safetensors.zst" : "st/model.safetensors";
  const auto contents = io::load_safetensors(fuzz::write_scratch_file(name, input).string());
  for (const auto& [tensor_name, tensor] : contents.tensors) (void)tensor.numel();
}

BYTEGRAD_FUZZ_TARGET(model_config) {
  (void)nn::load_model_config(fuzz::write_scratch_file("config/config.json", input).string());
}

// Input: config.json separator model.safetensors. Configs of models above a million
// parameters are skipped: building them tests the allocator, not the loader, and would make
// every execution slow.
BYTEGRAD_FUZZ_TARGET(model_directory) {
  const auto parts = fuzz::split_parts(input, 2);
  const auto config = fuzz::write_scratch_file("model/config.json", parts[0]);
  fuzz::write_scratch_file("model/model.safetensors", parts[1]);
  const nn::ModelConfig parsed = nn::load_model_config(config.string());
  if (parsed.parameter_estimate(config.string()) > 1'000'000) return;
  (void)io::load_pretrained_model(config.parent_path());
}
