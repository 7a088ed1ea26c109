// The preallocated KV cache: chunked decoding through buffers sized once gives the full
// forward's logits, the buffers are written in place, and misuse is a clear Error.
#include <doctest/doctest.h>

#include "bytegrad.h"
#include "nn/gpt2.h"
#include "nn/model_family.h"
#include "nn/llama.h"
#include "tests/test_util.h"

namespace bytegrad::nn {
namespace {

ModelConfig small_config(const char* activation) {
  ModelConfig config;
  config.vocab_size = 31;
  config.hidden_size = 24;
  config.num_hidden_layers = 2;
  config.num_attention_heads = 6;
  config.max_position_embeddings = 20;
  config.initializer_range = 0.3;  // large enough that attention is far from uniform
  config.hidden_act = activation;
  return config;
}

ModelConfig llama_config() {
  ModelConfig config = small_config("silu");
  config.num_key_value_heads = 3;  // grouped-query: two query heads per key/value head
  config.intermediate_size = 40;
  return config;
}

Tensor sample_ids() {  // [2, 9]
  return from_vector(std::vector<int64_t>{3, 17, 8, 28, 0, 11, 5, 21, 30, 9, 14, 2, 26, 7, 19, 1, 4, 12},
                     {2, 9});
}

// Feeds ids through a cache of `capacity` positions in chunks of the given sizes.
Tensor decode_in_chunks(const CausalLM& model, int64_t capacity,
                        const std::vector<int64_t>& chunks) {
  const Tensor ids = sample_ids();
  KVCache cache = model.make_cache(capacity);
  std::vector<Tensor> logits;
  for (int64_t size : chunks)
    logits.push_back(model.forward(narrow(ids, 1, cache.length, size), cache.length, &cache));
  CHECK(cache.length == ids.size(1));
  return cat(logits, 1);
}

void check_chunked_decoding(const std::string& model_type, const ModelConfig& config) {
  Generator generator(5);
  const std::unique_ptr<nn::CausalLM> model_owner = nn::build_causal_lm(model_type, config, generator);
  nn::CausalLM& model = *model_owner;
  model.eval();
  NoGradGuard no_grad;
  const Tensor full = model.forward(sample_ids());
  SUBCASE("prompt, then one token at a time, in a cache of exactly the sequence's length") {
    testing::check_close(decode_in_chunks(model, 9, {3, 1, 1, 1, 1, 1, 1}), full, 1e-5, 1e-5);
  }
  SUBCASE("uneven chunks in the default cache") {
    testing::check_close(decode_in_chunks(model, config.max_position_embeddings, {2, 4, 3}), full,
                         1e-5, 1e-5);
  }
}

TEST_CASE("Llama (grouped-query): chunked decoding through the cache gives the full forward") {
  check_chunked_decoding("llama", llama_config());
}

TEST_CASE("GPT2: chunked decoding through the cache gives the full forward") {
  check_chunked_decoding("gpt2", small_config("gelu_new"));
}

TEST_CASE("the cache allocates each layer's buffers once and writes them in place") {
  Generator generator(5);
  const Llama model(llama_config(), generator);
  NoGradGuard no_grad;
  KVCache cache = model.make_cache(12);
  model.forward(narrow(sample_ids(), 1, 0, 4), 0, &cache);
  const KVCache::Layer& layer = cache.layers[1];
  REQUIRE(layer.keys.defined());
  CHECK(layer.keys.shape() == Shape{2, 3, 12, 4});  // [B, H_kv, capacity, head_dim]
  const void* keys_before = layer.keys.data_ptr();
  const Tensor first_keys = clone(narrow(layer.keys, 2, 0, 4));
  model.forward(narrow(sample_ids(), 1, 4, 1), 4, &cache);
  CHECK(layer.keys.data_ptr() == keys_before);
  // Earlier positions are left as they were.
  testing::check_close(narrow(layer.keys, 2, 0, 4), first_keys, 0.0, 0.0);
}

TEST_CASE("writing past the cache's capacity is an Error naming the lengths") {
  Generator generator(5);
  const GPT2 model(small_config("gelu_new"), generator);
  NoGradGuard no_grad;
  KVCache cache = model.make_cache(6);
  model.forward(narrow(sample_ids(), 1, 0, 4), 0, &cache);
  const std::string message =
      testing::error_of([&] { model.forward(narrow(sample_ids(), 1, 4, 3), 4, &cache); });
  CHECK(message.find("4 cached tokens and 3 new ones exceed the KV cache's capacity of 6") !=
        std::string::npos);
  CHECK(cache.length == 4);  // nothing was written
}

TEST_CASE("decoding through the cache with grad mode on is refused") {
  Generator generator(5);
  const Llama model(llama_config(), generator);
  KVCache cache = model.make_cache();
  const std::string message =
      testing::error_of([&] { model.forward(narrow(sample_ids(), 1, 0, 2), 0, &cache); });
  CHECK(message.find("decode under a NoGradGuard") != std::string::npos);
}

}  // namespace
}  // namespace bytegrad::nn
