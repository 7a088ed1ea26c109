#include "nn/model_family.h"

#include "base/error.h"
#include "nn/gpt2.h"
#include "nn/llama.h"
#include "nn/tfree.h"

namespace bytegrad::nn {

const std::vector<ModelFamily>& model_families() {
  static const std::vector<ModelFamily> families = {
      llama_family(),
      gpt2_family(),
      tfree_family(),
  };
  return families;
}

namespace {

std::string known_model_types() {
  std::string names;
  for (const ModelFamily& family : model_families())
    names += (names.empty() ? "\"" : ", \"") + family.model_type + "\"";
  return names;
}

std::string known_architectures() {
  std::string names;
  for (const ModelFamily& family : model_families()) names += (names.empty() ? "" : ", ") + family.architecture;
  return names;
}

}  // namespace

const ModelFamily& model_family(const std::string& model_type) {
  for (const ModelFamily& family : model_families())
    if (family.model_type == model_type) return family;
  throw Error(concat("model: model_type '", model_type, "' is not one of ", known_model_types()));
}

const ModelFamily& model_family_of(const nlohmann::json& config, const std::string& source) {
  BYTEGRAD_CHECK(config.is_object(), source, ": expected a JSON object");
  if (config.contains("model_type")) {
    BYTEGRAD_CHECK(config["model_type"].is_string(), source, ": \"model_type\" must be a string");
    const std::string type = config["model_type"].get<std::string>();
    for (const ModelFamily& family : model_families())
      if (family.model_type == type) return family;
    throw Error(concat(source, ": model_type '", type, "' is not supported (expected ", known_model_types(), ")"));
  }
  if (config.contains("architectures") && config["architectures"].is_array() && !config["architectures"].empty() &&
      config["architectures"][0].is_string()) {
    const std::string architecture = config["architectures"][0].get<std::string>();
    for (const ModelFamily& family : model_families())
      if (family.architecture == architecture) return family;
    throw Error(concat(source, ": architecture '", architecture, "' is not supported (expected ",
                       known_architectures(), ")"));
  }
  throw Error(concat(source, ": no \"model_type\" or \"architectures\" to say which model this is"));
}

std::unique_ptr<CausalLM> build_causal_lm(const std::string& model_type, const ModelConfig& config,
                                          Generator& generator) {
  return model_family(model_type).build(config, generator);
}

}  // namespace bytegrad::nn
