// generate() against a PyTorch port of Meta's Llama generate() loop (tests/reference/
// torch_generate.py) on the same random Llama and GPT-2 weights: a batch of unequal prompts,
// greedy, with an EOS some row generates, echo off and on. Tokens must be equal and log-probs
// equal to float32 rounding, including Meta's conventions (the first prompt token scores 0;
// with echo, a row is cut at the first EOS even inside its prompt).
#include <doctest/doctest.h>

#include <cmath>

#include "bytegrad.h"
#include "infer/generate.h"
#include "nn/config.h"
#include "nn/model_family.h"
#include "tests/infer/python_reference.h"

namespace bytegrad::infer {
namespace {

using nlohmann::json;

nn::StateDict weights_of(const json& entries) {
  nn::StateDict state;
  for (const auto& [name, entry] : entries.items())
    state.emplace(name, from_vector(entry.at("data").get<std::vector<float>>(), entry.at("shape").get<Shape>()));
  return state;
}

TEST_CASE("generate matches Meta's generate loop ported to PyTorch, for Llama and GPT-2") {
  const auto reference = testing::run_torch_reference("torch_generate.py", "torch_generate.json");
  if (!reference) {
    MESSAGE("skipped: /usr/bin/python3 with torch is not available");
    return;
  }
  for (const auto& [name, entry] : reference->items()) {
    INFO(name);
    const json& config_json = entry.at("config");
    Generator generator(1);
    const std::unique_ptr<nn::CausalLM> model_owner = nn::build_causal_lm(
        config_json.at("model_type").get<std::string>(), nn::model_config_from_json(config_json, name), generator);
    nn::CausalLM& model = *model_owner;
    model.load_state_dict(weights_of(entry.at("weights")));
    const auto prompts = entry.at("prompts").get<std::vector<std::vector<int64_t>>>();
    for (const bool echo : {false, true}) {
      INFO("echo " << echo);
      GenerationOptions options;
      options.temperature = 0;
      options.max_gen_len = entry.at("max_gen_len").get<int64_t>();
      options.logprobs = true;
      options.echo = echo;
      options.stop_tokens = {entry.at("eos_id").get<int64_t>()};
      const GenerationResult result = generate(model, prompts, options);
      const json& expected = entry.at("results").at(echo ? "echo" : "plain");
      CHECK(result.tokens == expected.at("tokens").get<std::vector<std::vector<int64_t>>>());
      const auto log_probs = expected.at("log_probs").get<std::vector<std::vector<double>>>();
      REQUIRE(result.log_probs.size() == log_probs.size());
      for (size_t b = 0; b < log_probs.size(); ++b) {
        REQUIRE(result.log_probs[b].size() == log_probs[b].size());
        for (size_t t = 0; t < log_probs[b].size(); ++t) {
          INFO("row " << b << " position " << t);
          CHECK(std::fabs(result.log_probs[b][t] - log_probs[b][t]) <= 1e-4 + 1e-5 * std::fabs(log_probs[b][t]));
        }
      }
    }
  }
}

}  // namespace
}  // namespace bytegrad::infer
