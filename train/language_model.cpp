#include "train/language_model.h"

namespace bytegrad::train {
namespace {

std::variant<std::unique_ptr<nn::Llama>, std::unique_ptr<nn::GPT2>> build(const std::string& model_type,
                                                                        const nn::ModelConfig& config,
                                                                        Generator& generator) {
  if (model_type == "llama") return std::make_unique<nn::Llama>(config, generator);
  if (model_type == "gpt2") return std::make_unique<nn::GPT2>(config, generator);
  throw Error("model: model_type '" + model_type + "' is not one of \"llama\", \"gpt2\"");
}

}  // namespace

LanguageModel::LanguageModel(const std::string& model_type, const nn::ModelConfig& config, Generator& generator)
    : model_(build(model_type, config, generator)) {}

Tensor LanguageModel::forward(const Tensor& ids, int64_t start_pos, nn::KVCache* cache) const {
  return std::visit([&](const auto& m) { return m->forward(ids, start_pos, cache); }, model_);
}

nn::KVCache LanguageModel::make_cache() const {
  return std::visit([](const auto& m) { return m->make_cache(); }, model_);
}

const nn::ModelConfig& LanguageModel::config() const {
  return std::visit([](const auto& m) -> const nn::ModelConfig& { return m->config(); }, model_);
}

nn::Module& LanguageModel::module() {
  return std::visit([](auto& m) -> nn::Module& { return *m; }, model_);
}

const nn::Module& LanguageModel::module() const {
  return std::visit([](const auto& m) -> const nn::Module& { return *m; }, model_);
}

}  // namespace bytegrad::train
