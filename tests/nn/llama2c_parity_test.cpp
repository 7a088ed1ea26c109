// Parity with llama2.c: a Llama exported to llama2.c's version-0 file (io/llama2c_export.h)
// decodes to the same tokens when tools/bench/llama2c_reference.py reads that file and runs
// run.c's forward (interleaved-pair RoPE, which is why the export permutes q and k) in torch.
// Both decode greedily from the same prompt; every step's token must agree and its logits be
// close. Needs Debian's /usr/bin/python3 with torch and numpy; without them the test says so
// and skips.
#include <doctest/doctest.h>

#include <algorithm>
#include <cstdlib>
#include <fstream>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "bytegrad.h"
#include "nn/llama.h"
#include "tests/test_util.h"
#include "io/llama2c_export.h"

namespace bytegrad::nn {
namespace {

constexpr const char* kPython = "/usr/bin/python3";
constexpr int64_t kSteps = 12;

bool torch_available() {
  const std::string probe = std::string(kPython) + " -c \"import torch, numpy\" > /dev/null 2>&1";
  return std::system(probe.c_str()) == 0;
}

ModelConfig parity_config(bool tied) {
  ModelConfig config;
  config.vocab_size = 61;
  config.hidden_size = 32;
  config.num_hidden_layers = 2;
  config.num_attention_heads = 4;
  config.num_key_value_heads = 2;  // grouped-query, as run.c's kv_mul
  config.intermediate_size = 48;
  config.max_position_embeddings = 24;
  config.initializer_range = 0.2;  // spread logits: greedy choices far from ties
  config.tie_word_embeddings = tied;
  return config;
}

struct Greedy {
  std::vector<int64_t> tokens;
  std::vector<std::vector<float>> logits;  // the logits each token was chosen from
};

Greedy decode_ours(const Llama& model, const std::vector<int64_t>& prompt) {
  NoGradGuard no_grad;
  KVCache cache = model.make_cache();
  Greedy result;
  Tensor ids = from_vector(prompt, {1, int64_t(prompt.size())});
  for (int64_t step = 0; step < kSteps; ++step) {
    const Tensor logits = model.forward(ids, cache.length, &cache);
    const std::vector<float> last = select(select(logits, 0, 0), 0, logits.size(1) - 1).to_vector<float>();
    const int64_t next = int64_t(std::max_element(last.begin(), last.end()) - last.begin());
    result.tokens.push_back(next);
    result.logits.push_back(last);
    ids = from_vector(std::vector<int64_t>{next}, {1, 1});
  }
  return result;
}

Greedy decode_reference(const std::string& checkpoint, const std::vector<int64_t>& prompt) {
  std::string prompt_text;
  for (int64_t id : prompt) prompt_text += (prompt_text.empty() ? "" : ",") + std::to_string(id);
  const std::string output = checkpoint + ".json";
  const std::string command = std::string(kPython) + " '" BYTEGRAD_SOURCE_DIR
                              "/tools/bench/llama2c_reference.py' generate '" + checkpoint +
                              "' --logits --threads 1 --prompt " + prompt_text + " --steps " +
                              std::to_string(kSteps) + " > '" + output + "'";
  REQUIRE_MESSAGE(std::system(command.c_str()) == 0, "failed: " << command);
  std::ifstream file(output);
  const nlohmann::json json = nlohmann::json::parse(file);
  return {json.at("tokens").get<std::vector<int64_t>>(),
          json.at("logits").get<std::vector<std::vector<float>>>()};
}

void check_parity(bool tied) {
  if (!torch_available()) {
    MESSAGE("skipping llama2.c parity: " << kPython << " cannot import torch and numpy");
    return;
  }
  Generator generator(tied ? 21 : 22);
  const ModelConfig config = parity_config(tied);
  const Llama model(config, generator);
  io::TensorMap weights;
  for (const auto& [name, tensor] : model.named_parameters()) weights[name] = tensor;
  const std::string checkpoint =
      std::string(BYTEGRAD_BINARY_DIR "/llama2c_parity_") + (tied ? "tied" : "untied") + ".bin";
  io::export_llama2c(checkpoint, weights, config);

  const std::vector<int64_t> prompt{1, 40, 7, 33};
  const Greedy ours = decode_ours(model, prompt);
  const Greedy reference = decode_reference(checkpoint, prompt);
  CHECK(ours.tokens == reference.tokens);
  REQUIRE(reference.logits.size() == size_t(kSteps));
  for (int64_t step = 0; step < kSteps; ++step) {
    INFO("step " << step);
    testing::check_close(from_vector(ours.logits[size_t(step)], {config.vocab_size}),
                         from_vector(reference.logits[size_t(step)], {config.vocab_size}), 1e-4, 1e-4);
  }
}

TEST_CASE("llama2.c export: run.c's forward on the file decodes our tokens (tied head)") {
  check_parity(true);
}

TEST_CASE("llama2.c export: run.c's forward on the file decodes our tokens (untied classifier)") {
  check_parity(false);
}

}  // namespace
}  // namespace bytegrad::nn
