#include "io/model_directory.h"

#include <system_error>

#include "base/error.h"
#include "tokenizer/load.h"
#include "io/json_file.h"
#include "io/model_weights.h"
#include "io/tokenizer_export.h"

namespace bytegrad::io {
namespace fs = std::filesystem;
namespace {

std::optional<tokenizer::Tokenizer> load_directory_tokenizer(const fs::path& directory) {
  if (!fs::exists(directory / "tokenizer.json") && !fs::exists(directory / "tokenizer.model")) return std::nullopt;
  try {
    return tokenizer::load_tokenizer(directory);
  } catch (const Error&) {
    throw;
  } catch (const std::exception& e) {
    throw Error(concat(directory.string(), ": cannot load the tokenizer: ", e.what()));
  }
}

}  // namespace

nlohmann::json hf_config_json(const nn::CausalLM& model, const tokenizer::Tokenizer* tokenizer,
                              const QuantizedWeights* quantized) {
  nlohmann::json json = nn::model_family(model.model_type()).hf_config(model.config());
  json["torch_dtype"] = "float32";
  if (quantized && !quantized->empty()) {
    json["quantization_config"] = quantization_config_json({quantized->format, quantized->group});
    if (quantized->format == kernels::cpu::WeightFormat::BFloat16) json["torch_dtype"] = "bfloat16";
  }
  if (tokenizer) {
    if (tokenizer->bos_id()) json["bos_token_id"] = *tokenizer->bos_id();
    if (auto eos = tokenizer->eos_id() ? tokenizer->eos_id() : tokenizer->piece_to_id("<|endoftext|>"))
      json["eos_token_id"] = *eos;
  }
  return json;
}

TensorMap fit_hf_weights(TensorMap weights, const nn::ModelFamily& family, const nn::ModelConfig& config) {
  TensorMap fitted;
  for (auto& [name, tensor] : weights)
    if (const std::optional<std::string> ours = family.parameter_name(name, config))
      fitted.emplace(*ours, std::move(tensor));
  return fitted;
}

PretrainedModel load_pretrained_model(const fs::path& directory) {
  const std::string where = directory.string();
  BYTEGRAD_CHECK(fs::is_directory(directory), where, ": no model directory there");
  const fs::path config_path = directory / "config.json";
  BYTEGRAD_CHECK(fs::exists(config_path), where, ": no config.json (a model directory holds config.json and "
                                                 "model.safetensors)");
  const nlohmann::json config_json = read_json(config_path.string());
  const nn::ModelFamily& family = nn::model_family_of(config_json, config_path.string());
  const nn::ModelConfig config = nn::model_config_from_json(config_json, config_path.string());
  PretrainedModel pretrained;
  pretrained.generator = std::make_unique<Generator>(0);
  pretrained.model = family.build(config, *pretrained.generator);
  const Quantization quantization = quantization_from_config(config_json, config_path.string());
  TensorMap stored = load_pretrained_weights(where);
  const std::string weights_path = pretrained_weights_path(where);
  pretrained.quantized = split_quantized_weights(stored, quantization, weights_path);
  TensorMap weights = fit_hf_weights(std::move(stored), family, config);
  try {
    pretrained.model->load_state_dict(weights);
  } catch (const std::exception& e) {
    throw Error(concat(where, ": the weights do not fit the model config.json describes: ", e.what()));
  }
  if (!pretrained.quantized.empty())
    for (const std::string& name : streamed_matrix_names(*pretrained.model))
      BYTEGRAD_CHECK(pretrained.quantized.matrices.count(name), weights_path, ": ", name, " is stored as ",
                     weights.at(name).dtype(), ", but quantization_config says every matrix is ",
                     kernels::cpu::weight_format_name(quantization.format));
  pretrained.model->eval();  // as from_pretrained leaves a model: ready for inference
  pretrained.tokenizer = load_directory_tokenizer(directory);
  if (pretrained.tokenizer)
    BYTEGRAD_CHECK(int64_t(pretrained.tokenizer->vocab_size()) <= config.vocab_size, where,
                   ": the tokenizer has ", pretrained.tokenizer->vocab_size(), " tokens, more than config.json's vocab_size ",
                   config.vocab_size);
  return pretrained;
}

void save_pretrained_model(const fs::path& directory, const nn::CausalLM& model, const tokenizer::Tokenizer* tokenizer,
                           const QuantizedWeights* quantized) {
  std::error_code error;
  fs::create_directories(directory, error);
  BYTEGRAD_CHECK(!error, directory.string(), ": cannot create the directory: ", error.message());
  const nlohmann::json config = hf_config_json(model, tokenizer, quantized);
  const bool quantize = quantized && !quantized->empty();
  save_safetensors((directory / "model.safetensors").string(),
                   quantize ? quantized_state_dict(model.state_dict(), *quantized) : model.state_dict(), {{"format", "pt"}});
  write_json((directory / "config.json").string(), config);
  if (tokenizer) save_tokenizer_json(*tokenizer, directory);
}

}  // namespace bytegrad::io
