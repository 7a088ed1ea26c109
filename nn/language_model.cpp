#include "nn/language_model.h"

namespace bytegrad::nn {
namespace {

std::variant<std::unique_ptr<Llama>, std::unique_ptr<GPT2>> build(const std::string& model_type,
                                                                        const ModelConfig& config,
                                                                        Generator& generator) {
  if (model_type == "llama") return std::make_unique<Llama>(config, generator);
  if (model_type == "gpt2") return std::make_unique<GPT2>(config, generator);
  throw Error("model: model_type '" + model_type + "' is not one of \"llama\", \"gpt2\"");
}

}  // namespace

LanguageModel::LanguageModel(const std::string& model_type, const ModelConfig& config, Generator& generator)
    : model_(build(model_type, config, generator)) {}

Tensor LanguageModel::forward(const Tensor& ids, int64_t start_pos, KVCache* cache) const {
  return std::visit([&](const auto& m) { return m->forward(ids, start_pos, cache); }, model_);
}

KVCache LanguageModel::make_cache() const {
  return std::visit([](const auto& m) { return m->make_cache(); }, model_);
}

KVCache LanguageModel::make_cache(int64_t max_length) const {
  return std::visit([&](const auto& m) { return m->make_cache(max_length); }, model_);
}

const ModelConfig& LanguageModel::config() const {
  return std::visit([](const auto& m) -> const ModelConfig& { return m->config(); }, model_);
}

Module& LanguageModel::module() {
  return std::visit([](auto& m) -> Module& { return *m; }, model_);
}

const Module& LanguageModel::module() const {
  return std::visit([](const auto& m) -> const Module& { return *m; }, model_);
}

}  // namespace bytegrad::nn
