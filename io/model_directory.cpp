#include "io/model_directory.h"

#include <map>
#include <system_error>
#include <utility>

#include "autograd/grad_mode.h"
#include "base/error.h"
#include "tokenizer/load.h"
#include "io/json_file.h"
#include "io/model_weights.h"
#include "io/tokenizer_export.h"
#include "tensor/views.h"

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

namespace {

// The model's parameters by name (handles sharing their storage).
std::map<std::string, Tensor> parameters_by_name(const nn::CausalLM& model) {
  const auto named = model.named_parameters();
  return {named.begin(), named.end()};
}

// Loads `weights` into every parameter but the stored matrices, whose storage is released:
// load_state_dict's checks, with the stored matrices standing in for their parameters.
void load_released(nn::CausalLM& model, const TensorMap& weights, const QuantizedWeights& quantized) {
  std::vector<std::string> missing;
  const std::map<std::string, Tensor> parameters = parameters_by_name(model);
  for (const auto& [name, parameter] : parameters) {
    const auto stored = quantized.matrices.find(name);
    if (stored == quantized.matrices.end()) {
      if (!weights.count(name)) missing.push_back(name);
      continue;
    }
    BYTEGRAD_CHECK(stored->second.values.shape() == parameter.shape(), "the stored ", name, " is ",
                   shape_str(stored->second.values.shape()), ", the model's ", shape_str(parameter.shape()));
    parameter.storage()->release();
  }
  BYTEGRAD_CHECK(missing.empty(), "load_state_dict: the state does not fit the model: missing keys (", missing.size(),
                 "): ", missing.front(), missing.size() > 1 ? ", ..." : "");
  model.load_state_dict(weights, /*strict=*/false);
  for (const auto& [name, tensor] : weights)
    BYTEGRAD_CHECK(parameters.count(name),
                   "load_state_dict: the state does not fit the model: unexpected key ", name);
}

}  // namespace

PretrainedModel load_pretrained_model(const fs::path& directory, const LoadOptions& options) {
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
  const bool release = !options.float32_matrices && quantization.format != kernels::cpu::WeightFormat::Float32;
  pretrained.quantized = split_quantized_weights(stored, quantization, weights_path, !release);
  for (auto& [name, matrix] : std::exchange(pretrained.quantized.matrices, {}))
    if (const std::optional<std::string> ours = family.parameter_name(name, config))
      pretrained.quantized.matrices.emplace(*ours, std::move(matrix));
  TensorMap weights = fit_hf_weights(std::move(stored), family, config);
  try {
    if (release)
      load_released(*pretrained.model, weights, pretrained.quantized);
    else
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

void restore_float32_matrices(PretrainedModel& pretrained) {
  NoGradGuard no_grad;
  for (auto& [name, parameter] : parameters_by_name(*pretrained.model)) {
    if (parameter.storage()->resident()) continue;
    parameter.storage()->allocate();
    ops::copy_(parameter, dequantize(pretrained.quantized.matrices.at(name)));
  }
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
