// Quantized model directories (io/quantized_weights.h): a Llama saved with int8-group or
// bfloat16 matrices stores exactly what the decode kernels' own conversion gives, loads back
// with those matrices kept and its float32 parameters dequantized, takes about a quarter or a
// half of the float32 directory's bytes, and every kind of mismatch names the file and tensor.
#include <doctest/doctest.h>

#include <filesystem>
#include <string>
#include <vector>

#include "base/half.h"
#include "io/json_file.h"
#include "io/model_directory.h"
#include "io/quantized_weights.h"
#include "kernels/cpu/weight_rows.h"
#include "tests/infer/small_models.h"
#include "tests/scratch_directory.h"
#include "tests/test_util.h"

namespace bytegrad::io {
namespace {

using bytegrad::testing::check_close;
using bytegrad::testing::error_of;
using kernels::cpu::WeightFormat;
using namespace bytegrad::testing;

// Rows of 64 and 128 values, so that int8 groups of 64 fit every matrix; weights spread like a
// trained model's (initializer_range 0.2), with a few large values per matrix.
nn::ModelConfig quantized_config(bool tied) { return small_llama_config(96, 64, 128, 32, tied, 0.2); }

struct SavedModel {
  Generator generator{11};
  std::unique_ptr<nn::CausalLM> model;
};

// A random Llama with a few outliers in every matrix (what makes per-group scales matter).
SavedModel outlier_llama(bool tied) {
  SavedModel saved;
  saved.model = nn::build_causal_lm("llama", quantized_config(tied), saved.generator);
  for (auto& [name, weight] : saved.model->named_parameters()) {
    if (weight.dim() != 2) continue;
    float* values = weight.data<float>();
    for (int64_t i = 0; i < weight.numel(); i += 97) values[i] *= 8.0f;
  }
  saved.model->eval();
  return saved;
}

// Saves `model` to a fresh scratch directory `name` in `format` (float32: a plain directory).
std::string save_in(const std::string& name, const nn::CausalLM& model, WeightFormat format) {
  const std::string directory = scratch_directory(name);
  if (format == WeightFormat::Float32) {
    save_pretrained_model(directory, model, nullptr);
  } else {
    const QuantizedWeights quantized = quantize_model_weights(model, format, 64);
    save_pretrained_model(directory, model, nullptr, &quantized);
  }
  return directory;
}

std::map<std::string, Tensor> parameters_of(const nn::CausalLM& model) {
  const auto named = model.named_parameters();
  return {named.begin(), named.end()};
}

template <typename T>
std::vector<T> values_of(const Tensor& t) {
  const T* data = static_cast<const T*>(t.data_ptr());
  return {data, data + t.numel()};
}

}  // namespace

TEST_CASE("quantized directory: int8 matrices and their scales are what quantize_int8_groups gives") {
  for (const bool tied : {false, true}) {
    INFO((tied ? "tied" : "untied"));
    const SavedModel saved = outlier_llama(tied);
    const std::string directory = save_in(std::string("quantized_int8_") + (tied ? "tied" : "untied"), *saved.model,
                                          WeightFormat::Int8Groups);
    const nlohmann::json config = read_json(directory + "/config.json");
    CHECK(config["quantization_config"] == nlohmann::json{{"quant_method", "bytegrad_int8_groups"}, {"group_size", 64}});
    const TensorMap stored = load_safetensors(directory + "/model.safetensors").tensors;
    int64_t matrices = 0;
    for (const auto& [name, weight] : parameters_of(*saved.model)) {
      INFO(name);
      REQUIRE(stored.count(name));
      if (weight.dim() == 1) {  // norms stay float32
        CHECK(stored.at(name).dtype() == kFloat32);
        check_close(stored.at(name), weight, 0, 0);
        continue;
      }
      ++matrices;
      const int64_t rows = weight.size(0), cols = weight.size(1);
      std::vector<int8_t> q(size_t(rows * cols));
      std::vector<float> scales(size_t(rows * cols / 64));
      kernels::cpu::quantize_int8_groups({weight.data<float>(), size_t(weight.numel())}, 64, q.data(), scales.data());
      CHECK(stored.at(name).dtype() == kInt8);
      CHECK(stored.at(name).shape() == Shape{rows, cols});
      CHECK(values_of<int8_t>(stored.at(name)) == q);
      REQUIRE(stored.count(name + "_scale"));
      CHECK(stored.at(name + "_scale").dtype() == kFloat32);
      CHECK(stored.at(name + "_scale").shape() == Shape{rows, cols / 64});
      CHECK(values_of<float>(stored.at(name + "_scale")) == scales);
    }
    CHECK(matrices == 2 * 7 + (tied ? 1 : 2));  // seven per layer, the embedding, an untied head
    CHECK(stored.count("lm_head.weight") == (tied ? 0u : 1u));
  }
}

TEST_CASE("quantized directory: bfloat16 matrices are the float32 weights rounded to nearest even") {
  const SavedModel saved = outlier_llama(false);
  const std::string directory = save_in("quantized_bf16", *saved.model, WeightFormat::BFloat16);
  const nlohmann::json config = read_json(directory + "/config.json");
  CHECK(config["quantization_config"]["quant_method"] == "bytegrad_bfloat16");
  CHECK(config["torch_dtype"] == "bfloat16");
  const TensorMap stored = load_safetensors(directory + "/model.safetensors").tensors;
  for (const auto& [name, weight] : parameters_of(*saved.model)) {
    INFO(name);
    if (weight.dim() == 1) {
      CHECK(stored.at(name).dtype() == kFloat32);
      continue;
    }
    std::vector<uint16_t> expected;
    for (const float v : values_of<float>(weight)) expected.push_back(BFloat16::round_to_bfloat16(v));
    CHECK(stored.at(name).dtype() == kBFloat16);
    CHECK(values_of<uint16_t>(stored.at(name)) == expected);
  }
}

TEST_CASE("quantized directory: loading keeps the stored matrices and dequantizes the parameters") {
  const SavedModel saved = outlier_llama(false);
  for (const WeightFormat format : {WeightFormat::Int8Groups, WeightFormat::BFloat16}) {
    INFO(kernels::cpu::weight_format_name(format));
    const std::string directory = save_in("quantized_load_" + kernels::cpu::weight_format_name(format), *saved.model, format);
    const PretrainedModel loaded = load_pretrained_model(directory);
    const TensorMap stored = load_safetensors(directory + "/model.safetensors").tensors;
    CHECK(loaded.quantized.format == format);
    CHECK(loaded.quantized.group == (format == WeightFormat::Int8Groups ? 64 : 0));
    const auto original = parameters_of(*saved.model);
    for (const auto& [name, parameter] : parameters_of(*loaded.model)) {
      INFO(name);
      CHECK(parameter.dtype() == kFloat32);
      if (parameter.dim() == 1) {
        check_close(parameter, original.at(name), 0, 0);
        continue;
      }
      REQUIRE(loaded.quantized.matrices.count(name));
      const QuantizedMatrix& matrix = loaded.quantized.matrices.at(name);
      CHECK(matrix.values.dtype() == stored.at(name).dtype());
      check_close(to(matrix.values, kFloat32), to(stored.at(name), kFloat32), 0, 0);
      // Dequantized by hand: q * scale of its group, or the bfloat16 value widened.
      const std::vector<float> expected = [&] {
        std::vector<float> out;
        if (format == WeightFormat::BFloat16) {
          for (const BFloat16 v : values_of<BFloat16>(stored.at(name))) out.push_back(float(v));
        } else {
          const std::vector<int8_t> q = values_of<int8_t>(stored.at(name));
          const std::vector<float> s = values_of<float>(stored.at(name + "_scale"));
          for (size_t i = 0; i < q.size(); ++i) out.push_back(float(q[i]) * s[i / 64]);
        }
        return out;
      }();
      CHECK(values_of<float>(parameter) == expected);
      // Close to the original: half a step of the group's scale, or bfloat16's 2^-8 relative.
      if (format == WeightFormat::BFloat16)
        check_close(parameter, original.at(name), 0, 4e-3);
      else
        check_close(parameter, original.at(name), 0.05, 0);
    }
  }
}

TEST_CASE("quantized directory: int8 takes about a quarter of the float32 bytes, bfloat16 a half") {
  const SavedModel saved = outlier_llama(false);
  const auto size = [&](WeightFormat format) {
    return double(std::filesystem::file_size(save_in("quantized_size_" + kernels::cpu::weight_format_name(format),
                                                     *saved.model, format) + "/model.safetensors"));
  };
  const double float32 = size(WeightFormat::Float32), int8 = size(WeightFormat::Int8Groups),
               bfloat16 = size(WeightFormat::BFloat16);
  MESSAGE("model.safetensors: float32 " << float32 << " bytes, int8 " << int8 << ", bfloat16 " << bfloat16);
  // int8: 1 byte a value plus a 4-byte scale per 64 (1/4 + 1/64 of float32), the norms and the
  // header on top.
  CHECK(int8 / float32 > 0.25);
  CHECK(int8 / float32 < 0.30);
  CHECK(bfloat16 / float32 > 0.5);
  CHECK(bfloat16 / float32 < 0.53);
}

TEST_CASE("quantized directory: re-exporting keeps the stored values; float32 from it is the dequantized model") {
  const SavedModel saved = outlier_llama(false);
  const std::string directory = save_in("quantized_reexport", *saved.model, WeightFormat::Int8Groups);
  const PretrainedModel loaded = load_pretrained_model(directory);
  const QuantizedWeights again = quantize_model_weights(*loaded.model, WeightFormat::Int8Groups, 64, &loaded.quantized);
  for (const auto& [name, matrix] : again.matrices) {
    INFO(name);
    // The very tensors loaded, not a second quantization of the dequantized values.
    CHECK(matrix.values.data_ptr() == loaded.quantized.matrices.at(name).values.data_ptr());
  }
  const std::string plain = scratch_directory("quantized_reexport_float32");
  save_pretrained_model(plain, *loaded.model, nullptr);
  const PretrainedModel dequantized = load_pretrained_model(plain);
  CHECK(dequantized.quantized.empty());
  CHECK_FALSE(read_json(plain + "/config.json").contains("quantization_config"));
  const Tensor ids = from_vector<int64_t>({3, 1, 4, 1, 5, 9}, {1, 6});
  check_close(dequantized.model->forward(ids), loaded.model->forward(ids), 0, 0);
}

TEST_CASE("quantized directory: each mismatch names the file and the tensor") {
  const SavedModel saved = outlier_llama(false);
  const std::string directory = save_in("quantized_errors", *saved.model, WeightFormat::Int8Groups);
  const std::string file = directory + "/model.safetensors";
  const TensorMap good = load_safetensors(file).tensors;
  const nlohmann::json good_config = read_json(directory + "/config.json");
  const std::string q_proj = "model.layers.0.self_attn.q_proj.weight";
  // Writes the directory with `tensors` and `config`, then returns the error of loading it.
  const auto load_error = [&](const TensorMap& tensors, const nlohmann::json& config) {
    save_safetensors(file, tensors);
    write_json(directory + "/config.json", config);
    return error_of([&] { load_pretrained_model(directory); });
  };
  const auto has = [](const std::string& text, const std::string& part) {
    INFO(text);
    CHECK(text.find(part) != std::string::npos);
  };

  TensorMap wrong_scale = good;
  wrong_scale[q_proj + "_scale"] = zeros({64, 2});  // q_proj [64, 64] in groups of 64 has [64, 1]
  const std::string scale_error = load_error(wrong_scale, good_config);
  has(scale_error, file + ": " + q_proj + "_scale is float32 [64, 2], expected float32 [64, 1]");

  nlohmann::json odd_group = good_config;
  odd_group["quantization_config"]["group_size"] = 48;
  has(load_error(good, odd_group), "weight has rows of 64 values, which quantization_config's group_size 48 does "
                                   "not divide");
  has(load_error(good, odd_group), file + ": ");

  TensorMap no_scale = good;
  no_scale.erase(q_proj + "_scale");
  has(load_error(no_scale, good_config), file + ": " + q_proj + " is I8 but has no " + q_proj + "_scale");

  TensorMap orphan_scale = good;
  orphan_scale[q_proj] = parameters_of(*saved.model).at(q_proj);  // float32 again, its scale left behind
  has(load_error(orphan_scale, good_config), file + ": " + q_proj + "_scale scales no I8 tensor (" + q_proj +
                                                 " is float32)");

  TensorMap float_matrix = good;
  float_matrix[q_proj] = parameters_of(*saved.model).at(q_proj);
  float_matrix.erase(q_proj + "_scale");
  has(load_error(float_matrix, good_config), file + ": " + q_proj + " is stored as float32, but quantization_config says "
                                                 "every matrix is int8");

  nlohmann::json unknown = good_config;
  unknown["quantization_config"]["quant_method"] = "gptq";
  has(load_error(good, unknown), "config.json: quantization_config's quant_method 'gptq' is not one this program reads");

  nlohmann::json no_group = good_config;
  no_group["quantization_config"].erase("group_size");
  has(load_error(good, no_group), "config.json: quantization_config's group_size must be a positive integer");

  // Loaded without float32 matrices, the same checks hold for the rest.
  const auto lean_error = [&](const TensorMap& tensors) {
    save_safetensors(file, tensors);
    write_json(directory + "/config.json", good_config);
    return error_of([&] { load_pretrained_model(directory, {.float32_matrices = false}); });
  };
  TensorMap no_norm = good;
  no_norm.erase("model.norm.weight");
  has(lean_error(no_norm), directory + ": the weights do not fit the model config.json describes");
  has(lean_error(no_norm), "missing keys (1): model.norm.weight");
  TensorMap stray = good;
  stray["model.extra.weight"] = zeros({2});
  has(lean_error(stray), "unexpected key model.extra.weight");
  has(lean_error(float_matrix), file + ": " + q_proj + " is stored as float32");

  // Put back, it loads.
  load_error(good, good_config);
  CHECK_NOTHROW(load_pretrained_model(directory));
}

TEST_CASE("quantized directory: only Llama models are quantized") {
  Generator generator(3);
  nn::ModelConfig config = quantized_config(true);
  config.num_key_value_heads = 0;
  const std::unique_ptr<nn::CausalLM> gpt2 = nn::build_causal_lm("gpt2", config, generator);
  CHECK(error_of([&] { quantize_model_weights(*gpt2, WeightFormat::Int8Groups, 64); })
            .find("only Llama models are decoded from stored bfloat16 or int8 matrices, this is a gpt2 model") !=
        std::string::npos);
}

}  // namespace bytegrad::io
