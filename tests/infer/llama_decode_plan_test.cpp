// LlamaDecodePlan against the general path it replaces: logits to 1e-5 and greedy tokens, on
// Llamas with grouped-query attention, tied and untied heads, and products large enough to be
// shared between threads; generate() using it; and the models and caches it leaves alone.
#include <doctest/doctest.h>

#include <algorithm>
#include <bit>
#include <cmath>
#include <string>
#include <vector>

#include "bytegrad.h"
#include "infer/generate.h"
#include "infer/llama_decode_plan.h"
#include "base/half.h"
#include "kernels/cpu/weight_rows.h"
#include "tests/infer/small_models.h"
#include "tests/test_util.h"

namespace bytegrad::infer {
namespace {

using testing::SmallModel;

// Large enough that every product of a step splits between threads (gemv.h shares work from
// 2^15 multiply-adds): q/k/v 256 x 128 rows, gate/up 352 x 128, the head 512 x 128.
nn::ModelConfig shared_work_config(bool tied) { return testing::small_llama_config(512, 128, 352, 48, tied, 0.1); }

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

TEST_CASE("a decode plan leaves other models and batches to the general path") {
  NoGradGuard no_grad;
  SmallModel gpt2("gpt2");
  nn::KVCache gpt2_cache = gpt2.model.make_cache();
  gpt2.model.forward(from_vector(std::vector<int64_t>{1, 2}, {1, 2}), 0, &gpt2_cache);
  CHECK_FALSE(LlamaDecodePlan::supports(gpt2.model, gpt2_cache));
  CHECK(testing::error_of([&] { LlamaDecodePlan(gpt2.model, gpt2_cache); }).find("not a Llama") != std::string::npos);

  SmallModel llama("llama");
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

namespace bytegrad::infer {
namespace {

using kernels::cpu::WeightFormat;

// The largest |a - b| over two logit tensors, relative to the largest |b|.
double relative_difference(const Tensor& a, const Tensor& b) {
  const std::vector<float> x = a.to_vector<float>(), y = b.to_vector<float>();
  double difference = 0, largest = 0;
  for (size_t i = 0; i < x.size(); ++i) {
    difference = std::max(difference, double(std::fabs(x[i] - y[i])));
    largest = std::max(largest, double(std::fabs(y[i])));
  }
  return difference / largest;
}

// Steps every position, the prompt's too, through a plan in `format` on `model` and through the
// general path on `reference`, feeding both the reference's greedy tokens; returns the largest
// relative logit difference and counts the steps whose greedy tokens agree.
double plan_difference(nn::CausalLM& model, nn::CausalLM& reference, WeightFormat format, int64_t group,
                       int64_t steps, int64_t& agreeing) {
  model.eval();
  reference.eval();
  NoGradGuard no_grad;
  nn::KVCache general_cache = reference.make_cache(), plan_cache = model.make_cache();
  LlamaDecodePlan plan(model, plan_cache, format, group);
  double worst = 0;
  int64_t token = 1;
  agreeing = 0;
  for (int64_t step = 0; step < steps; ++step) {
    const Tensor expected = reference.forward(from_vector(std::vector<int64_t>{token}, {1, 1}), step, &general_cache);
    const Tensor& actual = plan.step(token);
    worst = std::max(worst, relative_difference(actual, expected));
    agreeing += last_argmax(actual) == last_argmax(expected);
    token = last_argmax(expected);
  }
  return worst;
}

// Rounds every matrix of `model` (the 2-d weights; norms stay) as `format` stores it: to
// bfloat16, or to int8 groups of `group` and back.
void round_matrices(nn::CausalLM& model, WeightFormat format, int64_t group) {
  for (auto& [name, weight] : model.named_parameters()) {
    if (weight.dim() != 2) continue;
    float* values = weight.data<float>();
    const size_t n = size_t(weight.numel());
    if (format == WeightFormat::BFloat16) {
      for (size_t i = 0; i < n; ++i) values[i] = float(std::bit_cast<BFloat16>(BFloat16::round_to_bfloat16(values[i])));
      continue;
    }
    std::vector<int8_t> q(n);
    std::vector<float> scales(n / size_t(group));
    kernels::cpu::quantize_int8_groups({values, n}, group, q.data(), scales.data());
    for (size_t i = 0; i < n; ++i) values[i] = float(q[i]) * scales[i / size_t(group)];
  }
}

TEST_CASE("a float32 plan stepping every position, the prompt's too, matches the general path") {
  SmallModel model("llama", shared_work_config(true), 3);
  int64_t agreeing = 0;
  CHECK(plan_difference(model.model, model.model, WeightFormat::Float32, 0, 30, agreeing) < 1e-5);
  CHECK(agreeing == 30);
}

TEST_CASE("a bfloat16 plan computes what the general path does on bfloat16-rounded weights") {
  for (const bool tied : {true, false}) {
    INFO("tied head: " << tied);
    SmallModel model("llama", shared_work_config(tied), 13), rounded("llama", shared_work_config(tied), 13);
    round_matrices(rounded.model, WeightFormat::BFloat16, 0);
    int64_t agreeing = 0;
    CHECK(plan_difference(model.model, rounded.model, WeightFormat::BFloat16, 0, 40, agreeing) < 1e-5);
    CHECK(agreeing == 40);
  }
}

TEST_CASE("an int8 group plan is the general path on dequantized weights, up to quantizing its inputs") {
  for (const bool tied : {true, false}) {
    INFO("tied head: " << tied);
    // 352 columns of the down projection: groups of 64 shrink to 32.
    SmallModel model("llama", shared_work_config(tied), 13), rounded("llama", shared_work_config(tied), 13);
    round_matrices(rounded.model, WeightFormat::Int8Groups, 32);
    int64_t agreeing = 0;
    // What is left is each product's input rounded to 1/254 of its group's largest value.
    const double difference = plan_difference(model.model, rounded.model, WeightFormat::Int8Groups, 64, 40, agreeing);
    CHECK(difference < 0.03);
    CHECK(difference > 1e-5);  // the inputs are quantized: not the float32 products
    CHECK(agreeing >= 36);
  }
}

TEST_CASE("int8 groups shrink until they divide every row length") {
  nn::ModelConfig config = shared_work_config(true);
  config.hidden_size = 96;  // 96 = 3 * 32: groups of 64 do not fit, 32 do
  config.intermediate_size = 160;
  SmallModel model("llama", config, 3);
  NoGradGuard no_grad;
  nn::KVCache cache = model.model.make_cache();
  CHECK(LlamaDecodePlan(model.model, cache, WeightFormat::Int8Groups, 64).group() == 32);
  CHECK(LlamaDecodePlan(model.model, cache, WeightFormat::BFloat16).group() == 0);
}

TEST_CASE("generate with converted weights: one Llama row only, and close to float32") {
  SmallModel model("llama", shared_work_config(true), 17);
  model.model.eval();
  GenerationOptions options;
  options.temperature = 0;
  options.max_gen_len = 20;
  const std::vector<int64_t> prompt = {1, 30, 77, 5};
  const std::vector<int64_t> exact = generate(model.model, {prompt}, options).tokens[0];
  options.weights = WeightFormat::BFloat16;
  const std::vector<int64_t> bfloat16 = generate(model.model, {prompt}, options).tokens[0];
  CHECK(bfloat16.size() == exact.size());
  CHECK(bfloat16[0] == exact[0]);
  CHECK(testing::error_of([&] { generate(model.model, {prompt, prompt}, options); }).find("one prompt") !=
        std::string::npos);
  SmallModel gpt2("gpt2");
  CHECK(testing::error_of([&] { generate(gpt2.model, {{1, 2}}, options); }).find("bfloat16 weights need") !=
        std::string::npos);
}

}  // namespace
}  // namespace bytegrad::infer
