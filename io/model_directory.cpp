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

bool ends_with(const std::string& text, const std::string& suffix) {
  return text.size() >= suffix.size() && text.compare(text.size() - suffix.size(), suffix.size(), suffix) == 0;
}

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

std::string model_type_of(const nlohmann::json& config, const std::string& source) {
  BYTEGRAD_CHECK(config.is_object(), source, ": expected a JSON object");
  if (config.contains("model_type")) {
    BYTEGRAD_CHECK(config["model_type"].is_string(), source, ": \"model_type\" must be a string");
    const std::string type = config["model_type"].get<std::string>();
    BYTEGRAD_CHECK(type == "llama" || type == "gpt2", source, ": model_type '", type,
                   "' is not supported (expected \"llama\" or \"gpt2\")");
    return type;
  }
  if (config.contains("architectures") && config["architectures"].is_array() && !config["architectures"].empty()) {
    const std::string architecture = config["architectures"][0].get<std::string>();
    if (architecture == "LlamaForCausalLM") return "llama";
    if (architecture == "GPT2LMHeadModel") return "gpt2";
    throw Error(concat(source, ": architecture '", architecture,
                       "' is not supported (expected LlamaForCausalLM or GPT2LMHeadModel)"));
  }
  throw Error(concat(source, ": no \"model_type\" or \"architectures\" to say which model this is"));
}

nlohmann::json hf_config_json(const nn::ModelConfig& config, const std::string& model_type,
                              const tokenizer::Tokenizer* tokenizer) {
  nlohmann::json json;
  if (model_type == "llama") {
    json = {{"architectures", {"LlamaForCausalLM"}},
            {"model_type", "llama"},
            {"vocab_size", config.vocab_size},
            {"hidden_size", config.hidden_size},
            {"intermediate_size", config.mlp_size()},
            {"num_hidden_layers", config.num_hidden_layers},
            {"num_attention_heads", config.num_attention_heads},
            {"num_key_value_heads", config.kv_heads()},
            {"head_dim", config.head_size()},
            {"max_position_embeddings", config.max_position_embeddings},
            {"rms_norm_eps", config.norm_eps},
            {"rope_theta", config.rope_theta},
            {"rope_scaling", nullptr},
            {"tie_word_embeddings", config.tie_word_embeddings},
            {"attention_bias", config.attention_bias},
            {"mlp_bias", config.mlp_bias},
            {"hidden_act", config.hidden_act.empty() ? "silu" : config.hidden_act},
            {"attention_dropout", config.attention_dropout},
            {"initializer_range", config.initializer_range}};
    // Llama's Hugging Face config has no embedding or residual dropout; ours keeps them if set.
    if (config.embedding_dropout != 0) json["embd_pdrop"] = config.embedding_dropout;
    if (config.residual_dropout != 0) json["resid_pdrop"] = config.residual_dropout;
  } else if (model_type == "gpt2") {
    json = {{"architectures", {"GPT2LMHeadModel"}},
            {"model_type", "gpt2"},
            {"vocab_size", config.vocab_size},
            {"n_embd", config.hidden_size},
            {"n_layer", config.num_hidden_layers},
            {"n_head", config.num_attention_heads},
            {"n_inner", config.mlp_size()},
            {"n_positions", config.max_position_embeddings},
            {"n_ctx", config.max_position_embeddings},
            {"layer_norm_epsilon", config.norm_eps},
            {"activation_function", config.hidden_act.empty() ? "gelu_new" : config.hidden_act},
            {"embd_pdrop", config.embedding_dropout},
            {"attn_pdrop", config.attention_dropout},
            {"resid_pdrop", config.residual_dropout},
            {"initializer_range", config.initializer_range},
            {"tie_word_embeddings", true}};
  } else {
    throw Error(concat("hf_config_json: model_type '", model_type, "' is not supported (expected llama or gpt2)"));
  }
  json["torch_dtype"] = "float32";
  if (tokenizer) {
    if (tokenizer->bos_id()) json["bos_token_id"] = *tokenizer->bos_id();
    if (auto eos = tokenizer->eos_id() ? tokenizer->eos_id() : tokenizer->piece_to_id("<|endoftext|>"))
      json["eos_token_id"] = *eos;
  }
  return json;
}

TensorMap fit_hf_weights(TensorMap weights, const std::string& model_type, const nn::ModelConfig& config) {
  TensorMap fitted;
  for (auto& [name, tensor] : weights) {
    if (model_type == "gpt2") {
      if (ends_with(name, ".attn.bias") || ends_with(name, ".attn.masked_bias")) continue;  // causal masks
      if (name == "lm_head.weight") continue;  // GPT-2's head is always the token embedding
      fitted.emplace(name.rfind("transformer.", 0) == 0 ? name : "transformer." + name, std::move(tensor));
      continue;
    }
    if (name == "lm_head.weight" && config.tie_word_embeddings) continue;
    fitted.emplace(name, std::move(tensor));
  }
  return fitted;
}

PretrainedModel load_pretrained_model(const fs::path& directory) {
  const std::string where = directory.string();
  BYTEGRAD_CHECK(fs::is_directory(directory), where, ": no model directory there");
  const fs::path config_path = directory / "config.json";
  BYTEGRAD_CHECK(fs::exists(config_path), where, ": no config.json (a model directory holds config.json and "
                                                 "model.safetensors)");
  const nlohmann::json config_json = read_json(config_path.string());
  PretrainedModel pretrained;
  pretrained.model_type = model_type_of(config_json, config_path.string());
  pretrained.config = nn::model_config_from_json(config_json, config_path.string());
  pretrained.generator = std::make_unique<Generator>(0);
  pretrained.model = std::make_unique<nn::LanguageModel>(pretrained.model_type, pretrained.config, *pretrained.generator);
  TensorMap weights = fit_hf_weights(load_pretrained_weights(where), pretrained.model_type, pretrained.config);
  try {
    pretrained.model->module().load_state_dict(weights);
  } catch (const std::exception& e) {
    throw Error(concat(where, ": the weights do not fit the model config.json describes: ", e.what()));
  }
  pretrained.model->module().eval();  // as from_pretrained leaves a model: ready for inference
  pretrained.tokenizer = load_directory_tokenizer(directory);
  if (pretrained.tokenizer)
    BYTEGRAD_CHECK(int64_t(pretrained.tokenizer->vocab_size()) <= pretrained.config.vocab_size, where,
                   ": the tokenizer has ", pretrained.tokenizer->vocab_size(), " tokens, more than config.json's vocab_size ",
                   pretrained.config.vocab_size);
  return pretrained;
}

void save_pretrained_model(const fs::path& directory, const nn::LanguageModel& model, const std::string& model_type,
                           const tokenizer::Tokenizer* tokenizer) {
  std::error_code error;
  fs::create_directories(directory, error);
  BYTEGRAD_CHECK(!error, directory.string(), ": cannot create the directory: ", error.message());
  const nlohmann::json config = hf_config_json(model.config(), model_type, tokenizer);
  save_safetensors((directory / "model.safetensors").string(), model.module().state_dict(), {{"format", "pt"}});
  write_json((directory / "config.json").string(), config);
  if (tokenizer) save_tokenizer_json(*tokenizer, directory);
}

}  // namespace bytegrad::io
