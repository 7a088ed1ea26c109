// A T-Free model as a model directory: config.json with model_type "tfree" and its tfree_*
// fields, model.safetensors with the trigram table and the head; loading gives the same logits,
// also when the tensors carry the original T-Free code's names.
#include <doctest/doctest.h>

#include <string>
#include <utility>
#include <vector>

#include "io/json_file.h"
#include "io/model_directory.h"
#include "nn/tfree.h"
#include "tests/scratch_directory.h"
#include "tests/test_util.h"
#include "tests/tiny_llama.h"

using namespace bytegrad;

TEST_CASE("a T-Free model saved as a model directory loads back with equal outputs") {
  const std::string directory = testing::scratch_directory("tfree_model_directory");
  nn::ModelConfig config = testing::tiny_llama_config(/*vocab_size=*/48, /*hidden_size=*/16, /*max_positions=*/8);
  config.tfree.population = 4;
  config.tfree.aggregation = "mean";
  config.tfree.loss_pos_weight = 30;
  Generator generator(13);
  const nn::TFree model(config, generator);
  io::save_pretrained_model(directory, model, nullptr);
  const nlohmann::json json = io::read_json(directory + "/config.json");
  CHECK(json["model_type"] == "tfree");
  CHECK(json["tfree_population"] == 4);
  CHECK(json["tfree_aggregation"] == "mean");
  CHECK(json["loss_pos_weight"] == 30.0);

  const io::PretrainedModel loaded = io::load_pretrained_model(directory);
  REQUIRE(loaded.model->model_type() == "tfree");
  const auto& tfree = dynamic_cast<const nn::TFree&>(*loaded.model);
  CHECK(tfree.config().tfree.population == 4);
  const Tensor trigram_ids = from_vector<int64_t>({0, 5, 9, 47, 3, 3, 2, 1, 8, 8, 8, 8}, {3, 4});
  const Tensor offsets = from_vector<int64_t>({0, 2, 2, 3}, {4});
  const auto logits = [&](const nn::TFree& m) {
    return m.head(m.hidden_states(m.embed_words(trigram_ids, offsets, 1, 3)));
  };
  testing::check_close(logits(tfree), logits(model), 0, 0);
}

TEST_CASE("a T-Free checkpoint with the original code's tensor names loads into the same model") {
  const std::string directory = testing::scratch_directory("tfree_original_names");
  nn::ModelConfig config = testing::tiny_llama_config(/*vocab_size=*/24, /*hidden_size=*/8, /*max_positions=*/8);
  config.tfree.population = 2;
  Generator generator(17);
  const nn::TFree model(config, generator);
  io::save_pretrained_model(directory, model, nullptr);
  const std::vector<std::pair<std::string, std::string>> original = {
      {"model.embed_tokens.", "transformer.embeddings.embedding."}, {"model.norm.", "transformer.norm."},
      {"model.layers.", "transformer.layers."},  {"self_attn.q_proj", "attention.query"},
      {"self_attn.k_proj", "attention.key"},    {"self_attn.v_proj", "attention.value"},
      {"self_attn.o_proj", "attention.dense"},  {"mlp.gate_proj", "mlp.dense_in"},
      {"mlp.up_proj", "mlp.swiglu"},            {"mlp.down_proj", "mlp.dense_out"}};
  io::TensorMap renamed;
  for (const auto& [name, tensor] : model.named_parameters()) {
    std::string theirs = name;
    for (const auto& [ours, replacement] : original)
      if (const size_t at = theirs.find(ours); at != std::string::npos) theirs.replace(at, ours.size(), replacement);
    renamed.emplace(theirs, tensor);
  }
  CHECK(renamed.count("transformer.layers.0.mlp.swiglu.weight") == 1);
  io::save_safetensors(directory + "/model.safetensors", renamed);
  const io::PretrainedModel loaded = io::load_pretrained_model(directory);
  const Tensor trigram_ids = from_vector<int64_t>({0, 5, 9, 23}, {2, 2});
  const Tensor offsets = from_vector<int64_t>({0, 1, 2}, {3});
  const auto logits = [&](const nn::CausalLM& m) {
    const auto& tfree = dynamic_cast<const nn::TFree&>(m);
    return tfree.head(tfree.hidden_states(tfree.embed_words(trigram_ids, offsets, 1, 2)));
  };
  testing::check_close(logits(*loaded.model), logits(model), 0, 0);
}
