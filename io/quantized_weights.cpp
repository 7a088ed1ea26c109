#include "io/quantized_weights.h"

#include <cmath>

#include "base/error.h"
#include "tensor/creation.h"
#include "tensor/finite.h"

namespace bytegrad::io {
namespace {

using kernels::cpu::WeightFormat;

constexpr const char* kInt8Method = "bytegrad_int8_groups";
constexpr const char* kBFloat16Method = "bytegrad_bfloat16";
constexpr const char* kScaleSuffix = "_scale";

bool ends_with(const std::string& text, const std::string& suffix) {
  return text.size() >= suffix.size() && text.compare(text.size() - suffix.size(), suffix.size(), suffix) == 0;
}

// The int8 matrix `name` and its scales, checked against each other and the group size.
QuantizedMatrix int8_matrix(const std::string& name, const Tensor& values, const Tensor& scales, int64_t group,
                            const std::string& source) {
  BYTEGRAD_CHECK(values.dim() == 2, source, ": ", name, " is I8 of shape ", shape_str(values.shape()),
                 ", expected a matrix [rows, cols]");
  const int64_t rows = values.size(0), cols = values.size(1);
  BYTEGRAD_CHECK(cols % group == 0, source, ": ", name, " has rows of ", cols,
                 " values, which quantization_config's group_size ", group, " does not divide");
  const Shape expected = {rows, cols / group};
  BYTEGRAD_CHECK(scales.dtype() == kFloat32 && scales.shape() == expected, source, ": ", name,
                 kScaleSuffix, " is ", scales.dtype(), " ", shape_str(scales.shape()), ", expected float32 [", rows, ", ",
                 cols / group, "] (one scale per group of ", group, " values of ", name, " ", shape_str(values.shape()), ")");
  return {WeightFormat::Int8Groups, values, scales, group};
}

}  // namespace

Quantization quantization_from_config(const nlohmann::json& config, const std::string& source) {
  if (!config.contains("quantization_config")) return {};
  const nlohmann::json& q = config["quantization_config"];
  BYTEGRAD_CHECK(q.is_object() && q.contains("quant_method") && q["quant_method"].is_string(), source,
                 ": quantization_config must be an object with a string quant_method, got ", q.dump());
  const std::string method = q["quant_method"].get<std::string>();
  if (method == kBFloat16Method) return {WeightFormat::BFloat16, 0};
  BYTEGRAD_CHECK(method == kInt8Method, source, ": quantization_config's quant_method '", method,
                 "' is not one this program reads (", kInt8Method, " or ", kBFloat16Method, ")");
  BYTEGRAD_CHECK(q.contains("group_size") && q["group_size"].is_number_integer() && q["group_size"].get<int64_t>() > 0,
                 source, ": quantization_config's group_size must be a positive integer for ", kInt8Method, ", got ",
                 q.contains("group_size") ? q["group_size"].dump() : std::string("none"));
  return {WeightFormat::Int8Groups, q["group_size"].get<int64_t>()};
}

nlohmann::json quantization_config_json(const Quantization& quantization) {
  BYTEGRAD_CHECK(quantization.format != WeightFormat::Float32, "quantization_config_json: float32 is not quantized");
  const bool int8 = quantization.format == WeightFormat::Int8Groups;
  return {{"quant_method", int8 ? kInt8Method : kBFloat16Method}, {"group_size", int8 ? quantization.group : 0}};
}

std::vector<std::string> streamed_matrix_names(const nn::CausalLM& model) {
  BYTEGRAD_CHECK(model.model_type() == "llama", "quantized weights: only Llama models are decoded from stored ",
                 "bfloat16 or int8 matrices, this is a ", model.model_type(), " model");
  std::vector<std::string> names;
  for (const auto& [name, tensor] : model.named_parameters())
    if (tensor.dim() == 2) names.push_back(name);
  return names;
}

QuantizedWeights quantize_model_weights(const nn::CausalLM& model, WeightFormat format, int64_t group,
                                        const QuantizedWeights* existing) {
  BYTEGRAD_CHECK(format != WeightFormat::Float32, "quantize_model_weights: float32 is not a quantized format");
  const std::vector<std::string> names = streamed_matrix_names(model);
  const auto parameters = model.named_parameters();
  const std::map<std::string, Tensor> by_name(parameters.begin(), parameters.end());
  std::vector<int64_t> row_lengths;
  for (const std::string& name : names) row_lengths.push_back(by_name.at(name).size(1));
  QuantizedWeights quantized;
  quantized.format = format;
  quantized.group = format == WeightFormat::Int8Groups ? fitting_int8_group(group, row_lengths) : 0;
  const bool reuse = existing && existing->format == format && existing->group == quantized.group;
  for (const std::string& name : names) {
    const Tensor& weight = by_name.at(name);
    const QuantizedMatrix* kept = nullptr;
    if (reuse) {
      const auto found = existing->matrices.find(name);
      if (found != existing->matrices.end() && found->second.values.shape() == weight.shape()) kept = &found->second;
    }
    quantized.matrices.emplace(name, kept ? *kept : quantize_matrix(weight.to(kCPU), format, quantized.group, name));
  }
  return quantized;
}

TensorMap quantized_state_dict(TensorMap state, const QuantizedWeights& quantized) {
  for (const auto& [name, matrix] : quantized.matrices) {
    BYTEGRAD_CHECK(state.count(name), "quantized_state_dict: the state dict has no ", name);
    state[name] = matrix.values;
    if (matrix.format == WeightFormat::Int8Groups) state[name + kScaleSuffix] = matrix.scales;
  }
  return state;
}

QuantizedWeights split_quantized_weights(TensorMap& weights, const Quantization& quantization, const std::string& source,
                                         bool dequantize) {
  QuantizedWeights quantized;
  quantized.format = quantization.format;
  quantized.group = quantization.group;
  if (quantization.format == WeightFormat::Float32) return quantized;
  const bool int8 = quantization.format == WeightFormat::Int8Groups;
  for (const auto& [name, tensor] : weights) {
    if (int8 && ends_with(name, kScaleSuffix)) {
      const std::string owner = name.substr(0, name.size() - std::string(kScaleSuffix).size());
      const auto found = weights.find(owner);
      BYTEGRAD_CHECK(found != weights.end() && found->second.dtype() == kInt8, source, ": ", name,
                     " scales no I8 tensor (", owner, " is ",
                     found == weights.end() ? std::string("absent") : std::string(dtype_name(found->second.dtype())), ")");
      continue;
    }
    if (tensor.dtype() != (int8 ? kInt8 : kBFloat16)) continue;
    if (int8) {
      const auto scales = weights.find(name + kScaleSuffix);
      BYTEGRAD_CHECK(scales != weights.end(), source, ": ", name, " is I8 but has no ", name, kScaleSuffix,
                     " (int8 groups need one float32 scale per group)");
      quantized.matrices.emplace(name, int8_matrix(name, tensor, scales->second, quantization.group, source));
    } else {
      BYTEGRAD_CHECK(tensor.dim() == 2, source, ": ", name, " is BF16 of shape ", shape_str(tensor.shape()),
                     ", expected a matrix [rows, cols]");
      quantized.matrices.emplace(name, QuantizedMatrix{WeightFormat::BFloat16, tensor, Tensor(), 0});
    }
  }
  for (const auto& [name, matrix] : quantized.matrices) {
    if (dequantize)
      weights[name] = bytegrad::dequantize(matrix);
    else
      weights.erase(name);
    if (int8) weights.erase(name + kScaleSuffix);
  }
  return quantized;
}

std::string first_nonfinite_matrix(const QuantizedWeights& quantized) {
  std::vector<std::pair<std::string, Tensor>> stored;
  for (const auto& [name, matrix] : quantized.matrices)
    stored.emplace_back(name, matrix.format == WeightFormat::Int8Groups ? matrix.scales : matrix.values);
  return ops::first_nonfinite(stored);
}

}  // namespace bytegrad::io
