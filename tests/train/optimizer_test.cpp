// AdamW and SGD: a step checked by hand, five steps against torch.optim, the default
// weight-decay selection, and the state exposed for checkpoints.
#include <cmath>
#include <cstdio>
#include <memory>

#include <nlohmann/json.hpp>

#include "tests/test_util.h"
#include "nn/gpt2.h"
#include "train/optimizer.h"

namespace bytegrad::train {
namespace {

constexpr const char* kPython = "/usr/bin/python3";

// The same formulas as tests/reference/torch_optimizers.py.
Tensor initial(const Shape& shape) {
  std::vector<float> values(size_t(numel_of(shape)));
  for (size_t i = 0; i < values.size(); ++i) values[i] = float(std::sin(0.1 * double(i + 1)));
  return from_vector(values, shape).set_requires_grad();
}

Tensor gradient(const Shape& shape, int t) {
  std::vector<float> values(size_t(numel_of(shape)));
  for (size_t i = 0; i < values.size(); ++i) values[i] = float(std::cos(0.3 * double(i + 1) * t) + 0.01 * t);
  return from_vector(values, shape);
}

// Runs five steps on a [3, 4] "layer.weight" (decayed) and a [4] "norm.weight" (not decayed).
template <typename MakeOptimizer>
NamedTensors run_five_steps(MakeOptimizer make) {
  NamedTensors parameters = {{"layer.weight", initial({3, 4})}, {"norm.weight", initial({4})}};
  std::unique_ptr<Optimizer> optimizer = make(parameters);
  for (int t = 1; t <= 5; ++t) {
    for (auto& [name, p] : parameters) p.set_grad(gradient(p.shape(), t));
    optimizer->step();
  }
  return parameters;
}

// torch's results, or a null JSON when /usr/bin/python3 cannot import torch.
nlohmann::json torch_reference() {
  const std::string command = std::string(kPython) + " '" BYTEGRAD_SOURCE_DIR "/tests/reference/torch_optimizers.py' 2>/dev/null";
  FILE* pipe = popen(command.c_str(), "r");
  if (!pipe) return nullptr;
  std::string output;
  char buffer[4096];
  for (size_t n; (n = fread(buffer, 1, sizeof buffer, pipe)) > 0;) output.append(buffer, n);
  if (pclose(pipe) != 0) return nullptr;
  return nlohmann::json::parse(output);
}

void check_against(const NamedTensors& parameters, const nlohmann::json& expected) {
  testing::check_values(parameters[0].second, expected.at("matrix").get<std::vector<double>>(), 2e-6);
  testing::check_values(parameters[1].second, expected.at("vector").get<std::vector<double>>(), 2e-6);
}

}  // namespace

TEST_CASE("AdamW's first step matches the formula worked by hand") {
  // One element, lr 0.1, betas (0.9, 0.99), wd 0.5, p = 2, g = 0.5:
  //   p <- 2 * (1 - 0.1 * 0.5) = 1.9;  m = 0.05, v = 0.0025;  m^ = 0.5, v^ = 0.25
  //   p <- 1.9 - 0.1 * 0.5 / (0.5 + 1e-8) = 1.8
  Tensor weight = full({1, 1}, 2.0).set_requires_grad();
  AdamW adamw({{"proj.weight", weight}}, {.learning_rate = 0.1, .beta1 = 0.9, .beta2 = 0.99, .eps = 1e-8, .weight_decay = 0.5});
  weight.set_grad(full({1, 1}, 0.5));
  adamw.step();
  testing::check_values(weight, {1.8}, 1e-6);
  testing::check_values(adamw.state()[0].second, {0.05}, 1e-7);
  testing::check_values(adamw.state()[1].second, {0.0025}, 1e-8);
  CHECK(adamw.step_count() == 1);
}

TEST_CASE("AdamW and SGD match torch.optim over five steps, decaying only the matrix") {
  const nlohmann::json reference = torch_reference();
  if (reference.is_null()) {
    MESSAGE("skipping: " << kPython << " cannot import torch (install Debian's python3-torch)");
    return;
  }
  check_against(run_five_steps([](const NamedTensors& p) {
                  return std::make_unique<AdamW>(p, AdamWOptions{.learning_rate = 0.01, .beta1 = 0.9, .beta2 = 0.95,
                                                                 .eps = 1e-8, .weight_decay = 0.1});
                }),
                reference.at("adamw"));
  check_against(run_five_steps([](const NamedTensors& p) {
                  return std::make_unique<Sgd>(p, SgdOptions{.learning_rate = 0.05, .momentum = 0.9, .weight_decay = 0.01});
                }),
                reference.at("sgd"));
}

TEST_CASE("SGD with momentum accumulates a velocity") {
  Tensor w = full({2}, 1.0).set_requires_grad();
  Sgd sgd({{"w", w}}, {.learning_rate = 0.1, .momentum = 0.5, .weight_decay = 0.0});
  w.set_grad(full({2}, 1.0));
  sgd.step();  // v = 1, w = 0.9
  w.set_grad(full({2}, 1.0));
  sgd.step();  // v = 1.5, w = 0.75
  testing::check_values(w, {0.75, 0.75});
  CHECK(sgd.state()[0].first == "w.momentum_buffer");
}

TEST_CASE("weight decay by default skips vectors and embedding tables") {
  const std::set<std::string> llama_tables = {"model.embed_tokens.weight"};
  CHECK(decays_by_default("model.layers.0.mlp.up_proj.weight", zeros({4, 2}), llama_tables));
  CHECK(decays_by_default("lm_head.weight", zeros({4, 2}), llama_tables));
  CHECK_FALSE(decays_by_default("model.norm.weight", zeros({4}), llama_tables));
  CHECK_FALSE(decays_by_default("model.layers.0.self_attn.q_proj.bias", zeros({4}), llama_tables));
  CHECK_FALSE(decays_by_default("model.embed_tokens.weight", zeros({4, 2}), llama_tables));
  // The models name their tables: GPT-2's token and position embeddings.
  Generator generator(0);
  nn::ModelConfig config;
  config.vocab_size = 8, config.hidden_size = 4, config.num_hidden_layers = 1, config.num_attention_heads = 1;
  config.max_position_embeddings = 8;
  const nn::GPT2 gpt2(config, generator);
  const std::vector<std::string> names = gpt2.embedding_parameter_names();
  const std::set<std::string> gpt2_tables(names.begin(), names.end());
  CHECK(gpt2_tables == std::set<std::string>{"transformer.wte.weight", "transformer.wpe.weight"});
  CHECK_FALSE(decays_by_default("transformer.wte.weight", zeros({4, 2}), gpt2_tables));
  CHECK(decays_by_default("transformer.h.0.mlp.c_fc.weight", zeros({4, 2}), gpt2_tables));
}

TEST_CASE("parameters without a gradient are left alone") {
  Tensor a = full({2}, 1.0).set_requires_grad(), b = full({2}, 1.0).set_requires_grad();
  AdamW adamw({{"a", a}, {"b", b}}, {});
  a.set_grad(full({2}, 1.0));
  adamw.step();
  testing::check_values(b, {1.0, 1.0});
  CHECK(a.to_vector<float>()[0] < 1.0f);
  adamw.zero_grad();
  CHECK_FALSE(a.grad().defined());
}

TEST_CASE("an optimizer rejects parameters it cannot update in place") {
  const std::string message = testing::error_of([] { AdamW({{"ids", zeros({2}, {DType::Int64, kCPU})}}, {}); });
  CHECK(message.find("'ids'") != std::string::npos);
}

}  // namespace bytegrad::train
