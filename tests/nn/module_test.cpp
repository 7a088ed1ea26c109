// Module: parameter names, state dicts, train/eval, zero_grad, dtype and device moves.
#include <doctest/doctest.h>

#include <algorithm>
#include <string>

#include "bytegrad.h"
#include "nn/dropout.h"
#include "nn/gpt2.h"
#include "nn/linear.h"
#include "nn/llama.h"
#include "tests/test_util.h"

namespace bytegrad::nn {
namespace {

ModelConfig tiny_config() {
  ModelConfig config;
  config.vocab_size = 11;
  config.hidden_size = 8;
  config.num_hidden_layers = 2;
  config.num_attention_heads = 2;
  config.intermediate_size = 12;
  config.max_position_embeddings = 16;
  return config;
}

std::vector<std::string> names_of(const Module& module) {
  std::vector<std::string> names;
  for (const auto& [name, tensor] : module.named_parameters()) names.push_back(name);
  return names;
}

bool contains(const std::vector<std::string>& names, const std::string& name) {
  return std::find(names.begin(), names.end(), name) != names.end();
}

bool mentions(const std::string& message, const std::string& part) {
  return message.find(part) != std::string::npos;
}

TEST_CASE("Llama parameters carry Hugging Face's names in its order") {
  Generator generator(1);
  const Llama model(tiny_config(), generator);
  const std::vector<std::string> names = names_of(model);
  CHECK(names.size() == 1 + 2 * 9 + 1 + 1);
  CHECK(names.front() == "model.embed_tokens.weight");
  CHECK(names[1] == "model.layers.0.self_attn.q_proj.weight");
  for (const char* name :
       {"model.layers.1.self_attn.k_proj.weight", "model.layers.1.self_attn.v_proj.weight",
        "model.layers.1.self_attn.o_proj.weight", "model.layers.1.mlp.gate_proj.weight",
        "model.layers.1.mlp.up_proj.weight", "model.layers.1.mlp.down_proj.weight",
        "model.layers.1.input_layernorm.weight", "model.layers.1.post_attention_layernorm.weight",
        "model.norm.weight"})
    CHECK_MESSAGE(contains(names, name), name);
  CHECK(names.back() == "lm_head.weight");
}

TEST_CASE("a tied Llama has no lm_head parameter") {
  ModelConfig config = tiny_config();
  config.tie_word_embeddings = true;
  Generator generator(1);
  const Llama model(config, generator);
  CHECK_FALSE(contains(names_of(model), "lm_head.weight"));
  CHECK(model.forward(zeros({1, 3}, {kInt64, kCPU})).shape() == Shape{1, 3, 11});
}

TEST_CASE("GPT-2 parameters carry Hugging Face's names and Conv1D's [in, out] layout") {
  Generator generator(1);
  const GPT2 model(tiny_config(), generator);
  const StateDict state = model.state_dict();
  CHECK(state.at("transformer.wte.weight").shape() == Shape{11, 8});
  CHECK(state.at("transformer.wpe.weight").shape() == Shape{16, 8});
  CHECK(state.at("transformer.h.1.ln_1.bias").shape() == Shape{8});
  CHECK(state.at("transformer.h.1.attn.c_attn.weight").shape() == Shape{8, 24});
  CHECK(state.at("transformer.h.1.attn.c_proj.weight").shape() == Shape{8, 8});
  CHECK(state.at("transformer.h.1.ln_2.weight").shape() == Shape{8});
  CHECK(state.at("transformer.h.1.mlp.c_fc.weight").shape() == Shape{8, 12});
  CHECK(state.at("transformer.h.1.mlp.c_proj.weight").shape() == Shape{12, 8});
  CHECK(state.at("transformer.ln_f.weight").shape() == Shape{8});
  CHECK(state.size() == 2 + 2 * 12 + 2);
}

TEST_CASE("load_state_dict copies values into the live parameters") {
  Generator generator(2);
  Linear layer(3, 2, /*bias=*/true, generator);
  const Tensor weight_before = layer.weight;
  layer.load_state_dict({{"weight", full({2, 3}, 0.5)}, {"bias", full({2}, -1.0)}});
  CHECK(layer.weight.is_same(weight_before));
  CHECK(layer.weight.requires_grad());
  testing::check_values(layer.forward(ones({1, 3})), {0.5, 0.5});
}

TEST_CASE("load_state_dict names every missing, unexpected and mis-shaped key") {
  Generator generator(2);
  Linear layer(3, 2, /*bias=*/true, generator);
  const std::vector<double> before = layer.weight.to_vector<double>();
  const std::string message = testing::error_of([&] {
    layer.load_state_dict({{"weight", zeros({3, 2})}, {"extra.weight", zeros({4})}});
  });
  CHECK(mentions(message, "missing keys (1):\n    bias"));
  CHECK(mentions(message, "unexpected keys (1):\n    extra.weight [4]"));
  CHECK(mentions(message, "mis-shaped keys (1):\n    weight (checkpoint [3, 2], model [2, 3])"));
  CHECK(layer.weight.to_vector<double>() == before);  // nothing written
}

TEST_CASE("non-strict load_state_dict skips missing and unexpected keys, not mis-shaped ones") {
  Generator generator(2);
  Linear layer(3, 2, /*bias=*/true, generator);
  layer.load_state_dict({{"bias", full({2}, 4.0)}, {"other", zeros({1})}}, /*strict=*/false);
  testing::check_values(layer.bias, {4.0, 4.0});
  const std::string message = testing::error_of(
      [&] { layer.load_state_dict({{"bias", zeros({3})}}, /*strict=*/false); });
  CHECK(mentions(message, "bias (checkpoint [3], model [2])"));
}

TEST_CASE("eval makes dropout the identity in every child; train restores it") {
  Generator generator(3);
  ModelConfig config = tiny_config();
  config.residual_dropout = 0.5;
  GPT2 model(config, generator);
  const Tensor ids = from_vector(std::vector<int64_t>{1, 2, 3, 4}, {1, 4});
  model.eval();
  CHECK_FALSE(model.transformer.h[1].attn.is_training());
  testing::check_close(model.forward(ids), model.forward(ids));
  model.train();
  CHECK(model.transformer.h[1].attn.is_training());
  const double change = max(abs(model.forward(ids) - model.forward(ids))).item<float>();
  CHECK(change > 0);
}

TEST_CASE("Dropout zeroes about p of the elements and scales the rest by 1 / (1 - p)") {
  Generator generator(4);
  const Dropout dropout(0.25, generator);
  const std::vector<float> values = dropout.forward(ones({10000})).to_vector<float>();
  const auto zeros_seen = std::count(values.begin(), values.end(), 0.0f);
  CHECK(zeros_seen == doctest::Approx(2500).epsilon(0.1));
  for (float value : values) CHECK((value == 0.0f || value == doctest::Approx(1.0 / 0.75)));
}

TEST_CASE("zero_grad clears every parameter's gradient") {
  Generator generator(5);
  Linear layer(3, 2, /*bias=*/true, generator);
  backward(sum(layer.forward(ones({4, 3}))));
  CHECK(layer.bias.grad().defined());
  layer.zero_grad();
  CHECK_FALSE(layer.weight.grad().defined());
  CHECK_FALSE(layer.bias.grad().defined());
}

TEST_CASE("to(dtype) converts every parameter and the model computes in that dtype") {
  Generator generator(6);
  Llama model(tiny_config(), generator);
  model.to(kFloat64);
  for (const auto& [name, parameter] : model.named_parameters()) {
    CHECK_MESSAGE(parameter.dtype() == kFloat64, name);
    CHECK_MESSAGE(parameter.requires_grad(), name);
  }
  CHECK(model.forward(zeros({1, 2}, {kInt64, kCPU})).dtype() == kFloat64);
}

TEST_CASE("to(device) keeps parameters already there and rejects a device that does not exist") {
  Generator generator(7);
  Llama model(tiny_config(), generator);
  const StateDict before = model.state_dict();
  model.to(kCPU);
  for (const auto& [name, parameter] : model.named_parameters()) {
    CHECK_MESSAGE(parameter.storage() == before.at(name).storage(), name);
    CHECK_MESSAGE(parameter.requires_grad(), name);
  }
  CHECK(mentions(testing::error_of([&] { model.to(Device{DeviceKind::CPU, 1}); }), "cpu:1: no such device"));
}

}  // namespace
}  // namespace bytegrad::nn
