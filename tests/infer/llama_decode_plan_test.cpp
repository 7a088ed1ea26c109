// LlamaDecodePlan against the general path it replaces: logits to 1e-5 and greedy tokens, on
// Llamas with grouped-query attention, tied and untied heads, and products large enough to be
// shared between threads; generate() using it; and the models and caches it leaves alone.
#include <doctest/doctest.h>

#include <algorithm>
#include <vector>

#include "bytegrad.h"
#include "infer/generate.h"
#include "infer/llama_decode_plan.h"
#include "tests/infer/small_models.h"
#include "tests/test_util.h"

namespace bytegrad::infer {
namespace {

using testing::SmallModel;

// Large enough that every product of a step splits between threads (gemv.h shares work from
// 2^15 multiply-adds): q/k/v 256 x 128 rows, gate/up 352 x 128, the head 512 x 128.
nn::ModelConfig shared_work_config(bool tied) {
  nn::ModelConfig config;
  config.vocab_size = 512;
  config.hidden_size = 128;
  config.num_hidden_layers = 2;
  config.num_attention_heads = 4;
  config.num_key_value_heads = 2;
  config.intermediate_size = 352;
  config.max_position_embeddings = 48;
  config.tie_word_embeddings = tied;
  config.initializer_range = 0.1;
  return config;
}

int64_t last_argmax(const Tensor& logits) {  // logits [1, T, V]
  return argmax(select(select(logits, 0, 0), 0, logits.size(1) - 1)).item<int64_t>();
}

// Prefills both caches with the general path, then decodes `steps` tokens with the general path
// on one and the plan on the other, feeding both the general path's greedy token.
void check_plan_matches_general_path(nn::CausalLM& model, int64_t steps) {
  model.eval();
  NoGradGuard no_grad;
  const Tensor prompt = from_vector(std::vector<int64_t>{1, 7, 3, 29, 11}, {1, 5});
  nn::KVCache general_cache = model.make_cache(), plan_cache = model.make_cache();
  int64_t token = last_argmax(model.forward(prompt, 0, &general_cache));
  model.forward(prompt, 0, &plan_cache);
  REQUIRE(LlamaDecodePlan::supports(model, plan_cache));
  LlamaDecodePlan plan(model, plan_cache);
  for (int64_t step = 0; step < steps; ++step) {
    INFO("step " << step);
    const int64_t position = general_cache.length;
    const Tensor expected = model.forward(from_vector(std::vector<int64_t>{token}, {1, 1}), position, &general_cache);
    const Tensor& actual = plan.step(token);
    testing::check_close(actual, expected, 1e-5, 1e-5);
    CHECK(last_argmax(actual) == last_argmax(expected));
    CHECK(plan_cache.length == general_cache.length);
    token = last_argmax(expected);
  }
  // The keys and values the plan wrote are the general path's (the filled positions; the rest
  // of the buffers was never written).
  const auto filled = [&](const Tensor& buffer) { return narrow(buffer, 2, 0, general_cache.length); };
  for (size_t l = 0; l < general_cache.layers.size(); ++l) {
    testing::check_close(filled(plan_cache.layers[l].keys), filled(general_cache.layers[l].keys), 1e-5, 1e-5);
    testing::check_close(filled(plan_cache.layers[l].values), filled(general_cache.layers[l].values), 1e-5, 1e-5);
  }
}

TEST_CASE("a decode plan gives the general path's logits and tokens (grouped-query, small)") {
  SmallModel small("llama");
  check_plan_matches_general_path(small.model, 20);
}

TEST_CASE("a decode plan gives the general path's logits with products shared between threads") {
  for (const bool tied : {true, false}) {
    INFO("tied head: " << tied);
    SmallModel model("llama", shared_work_config(tied), 11);
    check_plan_matches_general_path(model.model, 40);
  }
}

TEST_CASE("generate decodes with the plan the tokens of the general path's greedy loop") {
  SmallModel small("llama", shared_work_config(true), 5);
  small.model.eval();
  const std::vector<int64_t> prompt = {2, 40, 9};
  GenerationOptions options;
  options.temperature = 0;
  options.max_gen_len = 30;
  const std::vector<int64_t> planned = generate(small.model, {prompt}, options).tokens[0];

  NoGradGuard no_grad;
  nn::KVCache cache = small.model.make_cache();
  std::vector<int64_t> expected;
  int64_t token = last_argmax(small.model.forward(from_vector(prompt, {1, 3}), 0, &cache));
  while (int64_t(expected.size()) < options.max_gen_len) {
    expected.push_back(token);
    token = last_argmax(small.model.forward(from_vector(std::vector<int64_t>{token}, {1, 1}), cache.length, &cache));
  }
  CHECK(planned == expected);
}

TEST_CASE("a decode plan leaves other models, batches and unwritten caches to the general path") {
  NoGradGuard no_grad;
  SmallModel gpt2("gpt2");
  nn::KVCache gpt2_cache = gpt2.model.make_cache();
  gpt2.model.forward(from_vector(std::vector<int64_t>{1, 2}, {1, 2}), 0, &gpt2_cache);
  CHECK_FALSE(LlamaDecodePlan::supports(gpt2.model, gpt2_cache));
  CHECK(testing::error_of([&] { LlamaDecodePlan(gpt2.model, gpt2_cache); }).find("not a Llama") != std::string::npos);

  SmallModel llama("llama");
  nn::KVCache unwritten = llama.model.make_cache();
  CHECK_FALSE(LlamaDecodePlan::supports(llama.model, unwritten));
  nn::KVCache batch_of_two = llama.model.make_cache();
  llama.model.forward(from_vector(std::vector<int64_t>{1, 2, 3, 4}, {2, 2}), 0, &batch_of_two);
  CHECK_FALSE(LlamaDecodePlan::supports(llama.model, batch_of_two));

  nn::ModelConfig biased = testing::small_model_config("llama");
  biased.attention_bias = true;
  SmallModel with_bias("llama", biased);
  nn::KVCache cache = with_bias.model.make_cache();
  with_bias.model.forward(from_vector(std::vector<int64_t>{1, 2}, {1, 2}), 0, &cache);
  CHECK_FALSE(LlamaDecodePlan::supports(with_bias.model, cache));
}

TEST_CASE("a decode plan refuses a token outside the vocabulary and a full cache") {
  NoGradGuard no_grad;
  SmallModel small("llama");
  nn::KVCache cache = small.model.make_cache(3);
  small.model.forward(from_vector(std::vector<int64_t>{1, 2}, {1, 2}), 0, &cache);
  LlamaDecodePlan plan(small.model, cache);
  CHECK(testing::error_of([&] { plan.step(31); }).find("outside the vocabulary") != std::string::npos);
  plan.step(5);
  CHECK(testing::error_of([&] { plan.step(6); }).find("capacity") != std::string::npos);
}

}  // namespace
}  // namespace bytegrad::infer
