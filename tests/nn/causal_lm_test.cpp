// The one causal-LM interface (nn/causal_lm.h) and the family registry (nn/model_family.h):
// every family gives the same logits from ids and from their input embeddings, takes foreign
// embeddings of the right shape, and is found by its Hugging Face names.
#include <doctest/doctest.h>

#include "autograd/grad_mode.h"
#include "nn/model_family.h"
#include "tensor/creation.h"
#include "tests/test_util.h"

namespace bytegrad::nn {
namespace {

ModelConfig small_config(const std::string& model_type) {
  ModelConfig config;
  config.vocab_size = 23;
  config.hidden_size = 16;
  config.num_hidden_layers = 2;
  config.num_attention_heads = 4;
  config.num_key_value_heads = model_type == "llama" ? 2 : 0;
  config.intermediate_size = 24;
  config.max_position_embeddings = 12;
  return config;
}

TEST_CASE("causal LM: forward(ids) equals forward_embeds(embed(ids)), with and without a cache") {
  for (const ModelFamily& family : model_families()) {
    if (!family.reads_token_ids) continue;  // T-Free: tests/nn/tfree_test.cpp
    INFO(family.model_type);
    Generator generator(3);
    const std::unique_ptr<CausalLM> model = family.build(small_config(family.model_type), generator);
    model->eval();
    CHECK(model->model_type() == family.model_type);
    const Tensor ids = from_vector<int64_t>({1, 5, 22, 0, 7, 3, 9, 9}, {2, 4});
    const Tensor from_ids = model->forward(ids);
    CHECK(from_ids.shape() == Shape{2, 4, 23});
    testing::check_close(model->forward_embeds(model->embed(ids)), from_ids, 0, 0);
    // Decoding the last token through a cache filled from embeddings gives the same logits.
    NoGradGuard no_grad;
    KVCache cache = model->make_cache();
    model->hidden_states(model->embed(narrow(ids, 1, 0, 3)), 0, &cache);
    CHECK(cache.length == 3);
    const Tensor last = model->forward_embeds(model->embed(narrow(ids, 1, 3, 1)), 3, &cache);
    testing::check_close(last, narrow(from_ids, 1, 3, 1), 1e-5, 1e-5);
  }
}

TEST_CASE("causal LM: any embeddings of the right shape go in; wrong ones are named errors") {
  Generator generator(4);
  const std::unique_ptr<CausalLM> model = build_causal_lm("llama", small_config("llama"), generator);
  const Tensor soft = randn({1, 5, 16}, {}, &generator);
  CHECK(model->forward_embeds(soft).shape() == Shape{1, 5, 23});
  CHECK(model->hidden_states(soft).shape() == Shape{1, 5, 16});
  CHECK(testing::error_of([&] { model->forward_embeds(randn({1, 5, 8})); }).find("inputs_embeds [1, 5, 8]") !=
        std::string::npos);
  CHECK(testing::error_of([&] { model->forward_embeds(randn({1, 13, 16})); }).find("max_position_embeddings") !=
        std::string::npos);
  CHECK(testing::error_of([&] { model->forward(from_vector<float>({1, 2}, {1, 2})); }).find("must be int64") !=
        std::string::npos);
}

TEST_CASE("model families: found by model_type or architecture; unknown ones list the known") {
  CHECK(model_family("gpt2").architecture == "GPT2LMHeadModel");
  CHECK(model_family_of({{"architectures", {"LlamaForCausalLM"}}}, "c.json").model_type == "llama");
  CHECK(model_family_of({{"model_type", "gpt2"}}, "c.json").model_type == "gpt2");
  const std::string unknown = testing::error_of([] { model_family_of({{"model_type", "mamba"}}, "c.json"); });
  CHECK(unknown.find("c.json") != std::string::npos);
  CHECK(unknown.find("\"llama\", \"gpt2\"") != std::string::npos);
  CHECK(testing::error_of([] { model_family_of({{"architectures", {"BertModel"}}}, "c.json"); })
            .find("LlamaForCausalLM, GPT2LMHeadModel") != std::string::npos);
  CHECK(testing::error_of([] { model_family_of(nlohmann::json::object(), "c.json"); }).find("no \"model_type\"") !=
        std::string::npos);
}

TEST_CASE("model families: each writes its own config.json fields and maps checkpoint names") {
  const ModelConfig llama = small_config("llama");
  CHECK(model_family("llama").hf_config(llama)["num_key_value_heads"] == 2);
  CHECK(model_family("gpt2").hf_config(small_config("gpt2"))["n_embd"] == 16);
  ModelConfig tied = llama;
  tied.tie_word_embeddings = true;
  const ModelFamily& family = model_family("llama");
  CHECK(family.parameter_name("lm_head.weight", llama) == "lm_head.weight");
  CHECK_FALSE(family.parameter_name("lm_head.weight", tied).has_value());
  const ModelFamily& gpt2 = model_family("gpt2");
  CHECK(gpt2.parameter_name("h.0.ln_1.weight", llama) == "transformer.h.0.ln_1.weight");
  CHECK(gpt2.parameter_name("transformer.wte.weight", llama) == "transformer.wte.weight");
  CHECK_FALSE(gpt2.parameter_name("h.3.attn.masked_bias", llama).has_value());
}

}  // namespace
}  // namespace bytegrad::nn
