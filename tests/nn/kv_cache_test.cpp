// Decoding with a KV cache gives the same logits as running the whole sequence at once.
#include <doctest/doctest.h>

#include "bytegrad.h"
#include "nn/gpt2.h"
#include "nn/llama.h"
#include "tests/test_util.h"

namespace bytegrad::nn {
namespace {

ModelConfig small_config() {
  ModelConfig config;
  config.vocab_size = 29;
  config.hidden_size = 24;
  config.num_hidden_layers = 2;
  config.num_attention_heads = 6;
  config.max_position_embeddings = 16;
  config.initializer_range = 0.3;  // large enough that attention is far from uniform
  return config;
}

ModelConfig llama_config() {
  ModelConfig config = small_config();
  config.num_key_value_heads = 2;
  config.intermediate_size = 40;
  return config;
}

ModelConfig gpt2_config() {
  ModelConfig config = small_config();
  config.hidden_act = "gelu_new";
  return config;
}

Tensor sample_ids() {
  return from_vector(std::vector<int64_t>{3, 17, 8, 28, 0, 11, 5, 21, 9, 14, 2, 26, 7, 19}, {2, 7});
}

// Feeds ids through the cache in chunks of the given sizes and concatenates the logits.
template <typename Model>
Tensor decode_in_chunks(const Model& model, const Tensor& ids, const std::vector<int64_t>& chunks) {
  KVCache cache = model.make_cache();
  std::vector<Tensor> logits;
  int64_t position = 0;
  for (int64_t size : chunks) {
    logits.push_back(model.forward(narrow(ids, 1, position, size), position, &cache));
    position += size;
  }
  CHECK(cache.length == ids.size(1));
  return cat(logits, 1);
}

template <typename Model>
void check_cache_matches_full_forward(const ModelConfig& config) {
  Generator generator(11);
  Model model(config, generator);
  model.eval();
  NoGradGuard no_grad;
  const Tensor ids = sample_ids();
  const Tensor full = model.forward(ids);  // [2, 7, vocab]
  SUBCASE("one token at a time") {
    testing::check_close(decode_in_chunks(model, ids, {1, 1, 1, 1, 1, 1, 1}), full, 1e-5, 1e-4);
  }
  SUBCASE("a prompt, then single tokens") {
    testing::check_close(decode_in_chunks(model, ids, {4, 1, 1, 1}), full, 1e-5, 1e-4);
  }
}

TEST_CASE("Llama: decoding with the KV cache gives the full forward's logits") {
  check_cache_matches_full_forward<Llama>(llama_config());
}

TEST_CASE("GPT2: decoding with the KV cache gives the full forward's logits") {
  check_cache_matches_full_forward<GPT2>(gpt2_config());
}

TEST_CASE("forward rejects a start position that differs from the cached length") {
  Generator generator(11);
  const Llama model(llama_config(), generator);
  NoGradGuard no_grad;  // the cache is for inference
  KVCache cache = model.make_cache();
  model.forward(narrow(sample_ids(), 1, 0, 2), 0, &cache);
  const std::string message =
      testing::error_of([&] { model.forward(narrow(sample_ids(), 1, 2, 1), 3, &cache); });
  CHECK(message.find("start_pos 3 must equal the cached length 2") != std::string::npos);
}

TEST_CASE("forward rejects positions past max_position_embeddings") {
  Generator generator(11);
  const GPT2 model(gpt2_config(), generator);
  const std::string message = testing::error_of([&] { model.forward(sample_ids(), 10); });
  CHECK(message.find("run past max_position_embeddings 16") != std::string::npos);
}

}  // namespace
}  // namespace bytegrad::nn
