// T-Free's model side: the interleaved rotary form, packed rows with document masking (for
// every Llama-shaped family), the trigram embedding in, the multi-label head out, its config
// fields and its parameter counts beside a BPE Llama's.
#include <doctest/doctest.h>

#include <vector>

#include "nn/document_mask.h"
#include "nn/llama.h"
#include "nn/tfree.h"
#include "tests/test_util.h"
#include "tests/tiny_llama.h"

using namespace bytegrad;

namespace {

nn::ModelConfig tiny_tfree_config() {
  nn::ModelConfig config = testing::tiny_llama_config(/*vocab_size=*/40, /*hidden_size=*/16, /*max_positions=*/16);
  config.tfree.population = 3;
  config.tfree.lowercase_overlap = 1;
  return config;
}

Tensor int64s(const std::vector<int64_t>& values, const Shape& shape) { return from_vector(values, shape); }

// Coordinates (x[0], x[2], ..., x[1], x[3], ...): interleaved pairs laid out as halves.
Tensor pairs_as_halves(int64_t head_dim) {
  std::vector<int64_t> order;
  for (int64_t i = 0; i < head_dim; i += 2) order.push_back(i);
  for (int64_t i = 1; i < head_dim; i += 2) order.push_back(i);
  return from_vector(order);
}

// Inverse permutation of pairs_as_halves.
Tensor halves_as_pairs(int64_t head_dim) {
  std::vector<int64_t> order(static_cast<size_t>(head_dim));
  for (int64_t i = 0; i < head_dim / 2; ++i) {
    order[size_t(2 * i)] = i;
    order[size_t(2 * i + 1)] = head_dim / 2 + i;
  }
  return from_vector(order);
}

}  // namespace

TEST_CASE("interleaved rotary equals the half-split form on coordinates permuted into halves") {
  Generator generator(3);
  const int64_t head_dim = 8;
  const nn::RotaryEmbedding interleaved(head_dim, 12, 10000.0, nn::RotaryPairing::Interleaved);
  const nn::RotaryEmbedding half_split(head_dim, 12, 10000.0, nn::RotaryPairing::HalfSplit);
  const Tensor x = randn({2, 3, 5, head_dim}, {kFloat64, kCPU}, &generator);
  const Tensor via_halves =
      ops::index_select(half_split.apply(ops::index_select(x, 3, pairs_as_halves(head_dim)), 4), 3,
                        halves_as_pairs(head_dim));
  testing::check_close(interleaved.apply(x, 4), via_halves, 1e-6);
}

TEST_CASE("interleaved rotary rotates each adjacent pair as a complex number") {
  const nn::RotaryEmbedding rotary(4, 8, 100.0, nn::RotaryPairing::Interleaved);
  const Tensor x = from_vector(std::vector<double>{1, 0, 0, 1}, {1, 1, 1, 4}, {kFloat64, kCPU});
  // Position 3: pair 0 turns by 3 rad, pair 1 by 3 / sqrt(100) rad.
  const double a = 3.0, b = 0.3;
  testing::check_values(rotary.apply(x, 3), {std::cos(a), std::sin(a), -std::sin(b), std::cos(b)}, 1e-6);
}

TEST_CASE("rotary with explicit position ids equals rotary from a start position") {
  Generator generator(5);
  const nn::RotaryEmbedding rotary(4, 10, 10000.0, nn::RotaryPairing::Interleaved);
  const Tensor x = randn({2, 2, 3, 4}, {kFloat32, kCPU}, &generator);
  const Tensor positions = int64s({2, 3, 4, 2, 3, 4}, {2, 3});
  testing::check_close(rotary.apply(x, positions), rotary.apply(x, 2), 1e-6);
  CHECK_THROWS_WITH_AS(rotary.apply(x, int64s({0, 1, 10, 0, 1, 2}, {2, 3})),
                       doctest::Contains("position_ids holds 10, outside [0, 10)"), Error);
}

TEST_CASE("the document mask is causal and never crosses the start of a document") {
  const Tensor blocked = nn::document_causal_mask(int64s({0, 1, 2, 0, 1}, {1, 5}));
  const std::vector<int64_t> expected = {0, 1, 1, 1, 1,  //
                                         0, 0, 1, 1, 1,  //
                                         0, 0, 0, 1, 1,  //
                                         1, 1, 1, 0, 1,  //
                                         1, 1, 1, 0, 0};
  CHECK(ops::to(blocked, kInt64).to_vector<int64_t>() == expected);
}

TEST_CASE("a packed row of two documents gives each document's outputs as run alone") {
  Generator generator(9);
  const nn::Llama llama(testing::tiny_llama_config(30, 16, 16), generator);
  const nn::TFree tfree(tiny_tfree_config(), generator);
  const auto gpt2 = nn::build_causal_lm("gpt2", testing::tiny_llama_config(30, 16, 16), generator);
  for (const nn::CausalLM* model : std::vector<const nn::CausalLM*>{&llama, &tfree, gpt2.get()}) {
    const Tensor embeds = randn({1, 5, 16}, {kFloat32, kCPU}, &generator);
    const Tensor packed = model->hidden_states_packed(embeds, int64s({0, 1, 2, 0, 1}, {1, 5}));
    testing::check_close(narrow(packed, 1, 0, 3), model->hidden_states(narrow(embeds, 1, 0, 3)), 1e-5);
    testing::check_close(narrow(packed, 1, 3, 2), model->hidden_states(contiguous(narrow(embeds, 1, 3, 2))), 1e-5);
  }
}

TEST_CASE("T-Free embeds words as bags of trigram rows and rejects token ids") {
  Generator generator(4);
  const nn::TFree model(tiny_tfree_config(), generator);
  // Two rows of two words; word 1 is padding (no trigrams).
  const Tensor trigram_ids = int64s({1, 2, 3, 4, 5, 6, 7, 8, 9}, {3, 3});
  const Tensor offsets = int64s({0, 2, 2, 3, 3}, {5});
  const Tensor words = model.embed_words(trigram_ids, offsets, 2, 2);
  REQUIRE(words.shape() == Shape{2, 2, 16});
  testing::check_close(select(select(words, 0, 0), 0, 1), zeros({16}), 0.0);
  const Tensor first = sum(ops::index_select(model.model.embed_tokens.weight, 0, int64s({1, 2, 3, 4, 5, 6}, {6})), {0});
  testing::check_close(select(select(words, 0, 0), 0, 0), first, 1e-5);
  CHECK(model.forward_embeds(words).shape() == Shape{2, 2, 40});
  CHECK_THROWS_WITH_AS(model.forward(int64s({1, 2}, {1, 2})), doctest::Contains("trigram bags"), Error);
  CHECK_THROWS_WITH_AS(model.embed_words(trigram_ids, offsets, 2, 3), doctest::Contains("bag_offsets [5]"), Error);
  CHECK_THROWS_WITH_AS(model.embed_words(int64s({1, 2}, {1, 2}), int64s({0, 1}, {2}), 1, 1),
                       doctest::Contains("tfree_population"), Error);
}

TEST_CASE("T-Free decodes through a KV cache as in one full pass") {
  Generator generator(6);
  nn::TFree model(tiny_tfree_config(), generator);
  model.eval();
  CHECK_FALSE(nn::model_family("tfree").reads_token_ids);
  const Tensor embeds = model.embed_words(int64s({1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12}, {4, 3}),
                                          int64s({0, 1, 2, 3, 4}, {5}), 1, 4);
  const Tensor full = model.forward_embeds(embeds);
  NoGradGuard no_grad;
  nn::KVCache cache = model.make_cache();
  model.hidden_states(narrow(embeds, 1, 0, 3), 0, &cache);
  testing::check_close(model.forward_embeds(contiguous(narrow(embeds, 1, 3, 1)), 3, &cache), narrow(full, 1, 3, 1),
                       1e-5, 1e-5);
}

TEST_CASE("T-Free's config fields round-trip through config.json and are checked") {
  nn::ModelConfig config = tiny_tfree_config();
  config.tfree.aggregation = "mean";
  config.tfree.normalize = true;
  config.tfree.loss_pos_weight = 50;
  config.tfree.loss_scale = 10;
  const nlohmann::json json = nn::model_family("tfree").hf_config(config);
  CHECK(json["model_type"] == "tfree");
  const nn::ModelConfig read = nn::model_config_from_json(json, "config.json");
  CHECK(read.tfree.population == 3);
  CHECK(read.tfree.lowercase_overlap == 1);
  CHECK(read.tfree.aggregation == "mean");
  CHECK(read.tfree.normalize);
  CHECK(read.tfree.loss_pos_weight == 50);
  CHECK(read.tfree.loss_scale == 10);
  nn::ModelConfig defaults;
  CHECK(defaults.tfree.population == 10);  // the original's 7B release
  CHECK(defaults.tfree.loss_pos_weight == 300);
  config.tfree.aggregation = "max";
  Generator generator(1);
  CHECK_THROWS_WITH_AS(nn::TFree(config, generator), doctest::Contains("tfree_aggregation 'max'"), Error);
}

TEST_CASE("parameter counts split the vocabulary tables from the backbone, for T-Free and BPE") {
  Generator generator(2);
  const nn::ModelConfig config = tiny_tfree_config();
  const nn::TFree tfree(config, generator);
  const nn::ParameterCounts counts = nn::tfree_parameter_counts(config);
  CHECK(counts.total() == tfree.parameter_count());
  CHECK(counts.embedding_and_head == 2 * 40 * 16);
  nn::ModelConfig bpe_config = config;
  bpe_config.vocab_size = 100;
  const nn::Llama bpe(bpe_config, generator);
  const nn::ParameterCounts bpe_counts = nn::bpe_llama_parameter_counts(config, 100);
  CHECK(bpe_counts.total() == bpe.parameter_count());
  CHECK(bpe_counts.backbone == counts.backbone);
  CHECK(nn::parameter_count_report(config, 100).find("BPE Llama (vocab 100)") != std::string::npos);
}
