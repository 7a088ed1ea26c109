// `bytegrad bench generate [--model stories15M|stories110M] [--repeats N]`: decoding speed at
// batch 1 in float32 on the CPU, beside PyTorch decoding the same model with the same weights.
//   stories15M:  Llama, dim 288, 6 layers, 6 heads, SwiGLU 768, vocab 32000, 256 positions
//   stories110M: Llama, dim 768, 12 layers, 12 heads, SwiGLU 2048, vocab 32000, 1024 positions
// both with the head tied to the embedding, as llama2.c's stories models. Weights are random
// (seeded). A 4-token prompt is prefilled, then up to 256 new tokens are decoded greedily one at
// a time through the KV cache; tokens/s counts the new tokens over the time spent producing
// them. The median of N repeats is reported (the machine may be shared; repeats show the spread).
//
// PyTorch's side is tools/bench/llama2c_reference.py: the model is exported to llama2.c's file
// format (io/llama2c_export.h) and that script reads it and decodes with run.c's forward
// semantics, written in torch eager with a KV cache, under /usr/bin/python3 with as many threads
// as ours. Since both decode greedily from the same weights, the report also says for how many
// steps the two chose the same tokens (random weights give near-ties, so float rounding may
// split them late in a run).
#include <omp.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "bytegrad.h"
#include "nn/llama.h"
#include "tools/bench_python.h"
#include "tools/command_specs.h"
#include "tools/commands.h"
#include "io/llama2c_export.h"

namespace bytegrad::tools {
namespace {

using nlohmann::json;
using Clock = std::chrono::steady_clock;

constexpr int64_t kPromptTokens = 4;
constexpr int64_t kNewTokens = 256;

struct DecodeShape {
  std::string name;
  nn::ModelConfig config;
};

nn::ModelConfig stories_config(int64_t dim, int64_t layers, int64_t heads, int64_t hidden,
                               int64_t seq_len) {
  nn::ModelConfig config;
  config.vocab_size = 32000;
  config.hidden_size = dim;
  config.num_hidden_layers = layers;
  config.num_attention_heads = heads;
  config.num_key_value_heads = heads;
  config.intermediate_size = hidden;
  config.max_position_embeddings = seq_len;
  config.tie_word_embeddings = true;
  return config;
}

std::vector<DecodeShape> decode_shapes() {
  return {{"stories15M", stories_config(288, 6, 6, 768, 256)},
          {"stories110M", stories_config(768, 12, 12, 2048, 1024)}};
}

double median(std::vector<double> values) {
  std::sort(values.begin(), values.end());
  return values[values.size() / 2];
}

struct Decoded {
  std::vector<int64_t> tokens;
  double seconds = 0;  // producing the new tokens, the prompt's prefill excluded
};

int64_t argmax_of_last(const Tensor& logits) {  // logits [1, T, vocab]
  const Tensor last = ops::contiguous(ops::select(ops::select(logits, 0, 0), 0, logits.size(1) - 1));
  const float* values = last.data<float>();
  return int64_t(std::max_element(values, values + last.numel()) - values);
}

// Greedy decoding of `steps` tokens after `prompt`, one token per forward through the cache.
Decoded decode(const nn::Llama& model, const std::vector<int64_t>& prompt, int64_t steps) {
  NoGradGuard no_grad;
  nn::KVCache cache = model.make_cache();
  Decoded result;
  int64_t next = argmax_of_last(model.forward(from_vector(prompt, {1, int64_t(prompt.size())}), 0, &cache));
  const auto start = Clock::now();
  for (int64_t i = 0; i < steps; ++i) {
    result.tokens.push_back(next);
    if (i + 1 < steps)
      next = argmax_of_last(model.forward(from_vector(std::vector<int64_t>{next}, {1, 1}), cache.length, &cache));
  }
  result.seconds = std::chrono::duration<double>(Clock::now() - start).count();
  return result;
}

// PyTorch's figures for the model exported to `checkpoint`, or nullopt after printing why not.
std::optional<json> torch_decode(const std::string& script, const std::string& checkpoint,
                                 const std::vector<int64_t>& prompt, int64_t steps, int repeats) {
  std::string prompt_text;
  for (int64_t id : prompt) prompt_text += (prompt_text.empty() ? "" : ",") + std::to_string(id);
  const std::string output = checkpoint + ".json";
  const std::string command = std::string(kTorchPython) + " " + shell_quote(script) + " bench " +
                              shell_quote(checkpoint) + " --prompt " + prompt_text + " --steps " +
                              std::to_string(steps) + " --repeats " + std::to_string(repeats) +
                              " --threads " + std::to_string(omp_get_max_threads()) + " > " +
                              shell_quote(output);
  const int status = std::system(command.c_str());
  std::ifstream file(output);
  std::optional<json> result;
  try {
    if (status == 0 && file) result = json::parse(file);
  } catch (const json::exception&) {
  }
  std::filesystem::remove(output);
  if (!result) std::printf("  PyTorch failed (exit status %d): %s\n", status, command.c_str());
  return result;
}

void bench_shape(const DecodeShape& shape, int repeats, const std::string& torch_reason) {
  Generator generator(1234);
  nn::Llama model(shape.config, generator);
  model.eval();
  const Tensor prompt_ids =
      randint(0, shape.config.vocab_size, {kPromptTokens}, {DType::Int64, kCPU}, &generator);
  const std::vector<int64_t> prompt = prompt_ids.to_vector<int64_t>();
  const int64_t steps = std::min(kNewTokens, shape.config.max_position_embeddings - kPromptTokens);

  decode(model, prompt, 8);  // warm-up: page faults, the thread team, the allocator's blocks
  std::vector<double> rates;
  Decoded ours;
  for (int r = 0; r < repeats; ++r) {
    ours = decode(model, prompt, steps);
    rates.push_back(double(steps) / ours.seconds);
  }
  const double ours_rate = median(rates);
  std::printf("%-12s %6lld %10.1f %7.2f ms %7.0f..%-6.0f", shape.name.c_str(), (long long)steps,
              ours_rate, 1e3 / ours_rate, *std::min_element(rates.begin(), rates.end()),
              *std::max_element(rates.begin(), rates.end()));
  if (!torch_reason.empty()) {
    std::printf(" %10s %7s\n", "-", "-");
    return;
  }
  std::fflush(stdout);

  io::TensorMap weights;
  for (const auto& [name, tensor] : model.named_parameters()) weights[name] = tensor;
  const std::string checkpoint = (std::filesystem::temp_directory_path() /
                                  ("bytegrad-bench-" + std::to_string(getpid()) + ".bin")).string();
  io::export_llama2c(checkpoint, weights, shape.config);
  const std::optional<json> torch =
      torch_decode(bench_script_path("llama2c_reference.py"), checkpoint, prompt, steps, repeats);
  std::filesystem::remove(checkpoint);
  if (!torch) return;
  const double torch_rate = (*torch)["tokens_per_s"].get<double>();
  const auto torch_tokens = (*torch)["tokens"].get<std::vector<int64_t>>();
  const auto differ = std::mismatch(ours.tokens.begin(), ours.tokens.end(), torch_tokens.begin(),
                                    torch_tokens.end());
  std::printf(" %10.1f %6.2fx   %lld/%lld\n", torch_rate, ours_rate / torch_rate,
              (long long)(differ.first - ours.tokens.begin()), (long long)steps);
  std::fflush(stdout);
}

}  // namespace

int run_bench_generate(const Args& args) {
  const Options options = parse_options(command_spec("bench generate"), args);
  const int repeats = std::stoi(options.get("--repeats"));
  BYTEGRAD_CHECK(repeats >= 1, "bench generate: --repeats must be at least 1");
  const std::string only_model = options.value("--model").value_or("");
  std::vector<DecodeShape> shapes = decode_shapes();
  if (!only_model.empty()) {
    std::erase_if(shapes, [&](const DecodeShape& s) { return s.name != only_model; });
    BYTEGRAD_CHECK(!shapes.empty(), "bench generate: unknown model '", only_model,
                   "' (available: stories15M, stories110M)");
  }
  const std::string torch_reason = torch_unavailable_reason(bench_script_path("llama2c_reference.py"), "torch, numpy");
  std::printf("greedy decoding at batch 1, float32, CPU, %d threads, %lld-token prompt, "
              "median of %d runs\n", omp_get_max_threads(), (long long)kPromptTokens, repeats);
  if (!torch_reason.empty()) std::printf("PyTorch column left out: %s\n", torch_reason.c_str());
  std::printf("%-12s %6s %10s %10s %14s %10s %7s %s\n", "model", "tokens", "ours tok/s",
              "per token", "ours min..max", "torch tok/s", "ratio", "same tokens");
  for (const DecodeShape& shape : shapes) bench_shape(shape, repeats, torch_reason);
  std::printf("ratio = ours / PyTorch tokens per second: above 1 we are faster\n");
  return 0;
}

}  // namespace bytegrad::tools
