#include "nn/tfree.h"

#include <iomanip>
#include <sstream>
#include <utility>
#include <vector>

#include "autograd/functions.h"
#include "nn/init.h"
#include "nn/module_scope.h"

namespace bytegrad::nn {
namespace {

const ModelConfig& checked(const ModelConfig& config) {
  const TFreeConfig& tfree = config.tfree;
  BYTEGRAD_CHECK(tfree.population > 0, "TFree config: tfree_population ", tfree.population, " must be positive");
  BYTEGRAD_CHECK(tfree.lowercase_overlap >= 0 && tfree.lowercase_overlap <= tfree.population,
                 "TFree config: tfree_lowercase_overlap ", tfree.lowercase_overlap, " must lie in [0, ",
                 tfree.population, "] (tfree_population)");
  BYTEGRAD_CHECK(tfree.aggregation == "sum" || tfree.aggregation == "mean", "TFree config: tfree_aggregation '",
                 tfree.aggregation, "' must be \"sum\" or \"mean\"");
  BYTEGRAD_CHECK(tfree.loss_pos_weight > 0 && tfree.loss_scale > 0, "TFree config: loss_pos_weight ",
                 tfree.loss_pos_weight, " and loss_scale ", tfree.loss_scale, " must be positive");
  BYTEGRAD_CHECK(!config.tie_word_embeddings,
                 "TFree config: tie_word_embeddings must be false (the multi-label head is untied)");
  BYTEGRAD_CHECK(config.hidden_act.empty() || config.hidden_act == "silu", "TFree config: hidden_act '",
                 config.hidden_act, "' is not supported (the backbone uses \"silu\")");
  return config;
}

}  // namespace

TFree::TFree(const ModelConfig& config, Generator& generator)
    : CausalLM(checked(config), "TFree"),
      model(this->config(), generator, RotaryPairing::Interleaved),
      lm_head(this->config().hidden_size, this->config().vocab_size, /*bias=*/false, generator) {
  register_module("model", &model);
  register_module("lm_head", &lm_head);
  initialize_transformer_weights(*this, this->config().initializer_range, generator);
}

Tensor TFree::embed(const Tensor&) const {
  throw Error(
      "TFree: the model takes trigram bags, not token ids: call embed_words(trigram_ids, bag_offsets, batch, "
      "tokens) and pass the result to hidden_states or forward_embeds");
}

Tensor TFree::embed_words(const Tensor& trigram_ids, const Tensor& bag_offsets, int64_t batch,
                          int64_t tokens) const {
  const ModuleScope scope(this);
  const TFreeConfig& tfree = config().tfree;
  BYTEGRAD_CHECK(batch > 0 && tokens > 0 && bag_offsets.dim() == 1 && bag_offsets.size(0) == batch * tokens + 1,
                 "TFree: bag_offsets ", shape_str(bag_offsets.shape()), " must hold batch * tokens + 1 = ",
                 batch * tokens + 1, " offsets for batch ", batch, " and tokens ", tokens);
  BYTEGRAD_CHECK(trigram_ids.dim() == 2 && trigram_ids.size(1) == tfree.population, "TFree: trigram_ids ",
                 shape_str(trigram_ids.shape()), " must be [trigrams, ", tfree.population, "] (tfree_population)");
  const Tensor& table = model.embed_tokens.weight;
  const Device device = table.device();
  const Tensor words = embedding_bag(table, trigram_ids.to(device), bag_offsets.to(device),
                                     tfree.aggregation == "mean" ? BagAggregation::Mean : BagAggregation::Sum,
                                     tfree.normalize);
  return reshape(words, {batch, tokens, config().hidden_size});
}

Tensor TFree::decode(const Tensor& inputs_embeds, int64_t start_pos, KVCache* cache) const {
  return model.forward(inputs_embeds, start_pos, cache);
}

Tensor TFree::decode_packed(const Tensor& inputs_embeds, const Tensor& position_ids, const Tensor& blocked) const {
  return model.forward_packed(inputs_embeds, position_ids, blocked);
}

namespace {

nlohmann::json tfree_hf_config(const ModelConfig& config) {
  nlohmann::json json = llama_hf_config(config);
  json["architectures"] = {"TFreeForCausalLM"};
  json["model_type"] = "tfree";
  json["tfree_population"] = config.tfree.population;
  json["tfree_lowercase_overlap"] = config.tfree.lowercase_overlap;
  json["tfree_aggregation"] = config.tfree.aggregation;
  json["tfree_normalize"] = config.tfree.normalize;
  json["loss_pos_weight"] = config.tfree.loss_pos_weight;
  json["loss_scale"] = config.tfree.loss_scale;
  return json;
}

// The original T-Free checkpoint's state-dict names (transformer/transformer.pt), converted to
// safetensors as they are, load by their own names: each maps to ours. Its q/k weights need no
// permutation, since this model rotates the same adjacent pairs.
std::optional<std::string> tfree_parameter_name(const std::string& name, const ModelConfig&) {
  static const std::vector<std::pair<std::string, std::string>> renames = {
      {"transformer.embeddings.embedding.", "model.embed_tokens."},
      {"transformer.norm.", "model.norm."},
      {"transformer.layers.", "model.layers."},
      {".attention.query.", ".self_attn.q_proj."},
      {".attention.key.", ".self_attn.k_proj."},
      {".attention.value.", ".self_attn.v_proj."},
      {".attention.dense.", ".self_attn.o_proj."},
      {".mlp.dense_in.", ".mlp.gate_proj."},
      {".mlp.swiglu.", ".mlp.up_proj."},
      {".mlp.dense_out.", ".mlp.down_proj."},
  };
  std::string ours = name;
  for (const auto& [theirs, replacement] : renames)
    if (const size_t at = ours.find(theirs); at != std::string::npos) ours.replace(at, theirs.size(), replacement);
  return ours;
}

// One decoder stack's parameters (attention, MLP, norms), as nn/llama.cpp builds it.
int64_t llama_backbone_parameters(const ModelConfig& config) {
  const int64_t h = config.hidden_size, q = config.num_attention_heads * config.head_size();
  const int64_t kv = config.kv_heads() * config.head_size(), mlp = config.mlp_size();
  int64_t attention = h * q + 2 * h * kv + q * h;
  if (config.attention_bias) attention += q + 2 * kv + h;
  int64_t feed_forward = 3 * h * mlp;
  if (config.mlp_bias) feed_forward += 2 * mlp + h;
  return config.num_hidden_layers * (attention + feed_forward + 2 * h) + h;
}

}  // namespace

ModelFamily tfree_family() {
  return {"tfree", "TFreeForCausalLM",
          [](const ModelConfig& config, Generator& generator) -> std::unique_ptr<CausalLM> {
            return std::make_unique<TFree>(config, generator);
          },
          tfree_hf_config, tfree_parameter_name, /*reads_token_ids=*/false};
}

ParameterCounts tfree_parameter_counts(const ModelConfig& config) {
  return {2 * config.vocab_size * config.hidden_size, llama_backbone_parameters(config)};
}

ParameterCounts bpe_llama_parameter_counts(const ModelConfig& config, int64_t bpe_vocab_size) {
  const int64_t tables = config.tie_word_embeddings ? 1 : 2;
  return {tables * bpe_vocab_size * config.hidden_size, llama_backbone_parameters(config)};
}

std::string parameter_count_report(const ModelConfig& config, int64_t bpe_vocab_size) {
  const ParameterCounts tfree = tfree_parameter_counts(config);
  const ParameterCounts bpe = bpe_llama_parameter_counts(config, bpe_vocab_size);
  std::ostringstream out;
  const auto line = [&out](const std::string& name, const ParameterCounts& counts) {
    out << std::left << std::setw(28) << name << std::right << " embedding+head " << std::setw(14)
        << counts.embedding_and_head << "  rest " << std::setw(14) << counts.backbone << "  total "
        << std::setw(14) << counts.total() << "\n";
  };
  line("T-Free (V = " + std::to_string(config.vocab_size) + ")", tfree);
  line("BPE Llama (vocab " + std::to_string(bpe_vocab_size) + ")", bpe);
  return out.str();
}

}  // namespace bytegrad::nn
