#include "io/soft_encoder_directory.h"

#include "base/error.h"
#include "io/json_file.h"
#include "io/safetensors.h"

namespace bytegrad::io {

void save_soft_encoder(const std::filesystem::path& directory, const nn::SoftByteEncoder& encoder) {
  std::filesystem::create_directories(directory);
  write_json((directory / "config.json").string(), encoder.config().to_json());
  TensorMap weights;
  for (const auto& [name, tensor] : encoder.named_parameters()) weights[name] = tensor.detach();
  save_safetensors((directory / "model.safetensors").string(), weights, {{"format", "pt"}});
}

LoadedSoftEncoder load_soft_encoder(const std::filesystem::path& directory) {
  const std::filesystem::path config_path = directory / "config.json";
  BYTEGRAD_CHECK(std::filesystem::exists(config_path), "soft encoder directory ", directory.string(),
                 ": no config.json");
  const nlohmann::json json = read_json(config_path.string());
  BYTEGRAD_CHECK(json.is_object() && string_field_or(json, "model_type") == "soft_byte_encoder", config_path.string(),
                 ": model_type must be \"soft_byte_encoder\"");
  const nn::SoftEncoderConfig config = nn::SoftEncoderConfig::from_json(json, config_path.string());
  LoadedSoftEncoder loaded;
  loaded.generator = std::make_unique<Generator>(0);
  loaded.encoder = std::make_unique<nn::SoftByteEncoder>(config, *loaded.generator);
  const std::filesystem::path weights_path = directory / "model.safetensors";
  BYTEGRAD_CHECK(std::filesystem::exists(weights_path), "soft encoder directory ", directory.string(),
                 ": no model.safetensors");
  try {
    loaded.encoder->load_state_dict(load_safetensors(weights_path.string()).tensors);
  } catch (const Error& error) {
    throw Error(concat(weights_path.string(), ": ", error.what()));
  }
  return loaded;
}

}  // namespace bytegrad::io
