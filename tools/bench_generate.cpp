// `bytegrad bench generate [--device cpu|cuda|cuda:N] [--model stories15M|stories110M]
// [--repeats N] [--llama2c-run PATH] [--llama2c-runq PATH] [--weights float32|bfloat16|int8]
// [--no-torch]`: decoding speed at batch 1 in float32 on the CPU or a CUDA device, beside
// llama2.c's run.c (CPU only) and PyTorch decoding the same model with the same weights on the
// same device in the same run.
//   stories15M:  Llama, dim 288, 6 layers, 6 heads, SwiGLU 768, vocab 32000, 256 positions
//   stories110M: Llama, dim 768, 12 layers, 12 heads, SwiGLU 2048, vocab 32000, 1024 positions
//   tiny:        dim 64, 2 layers, 2 heads, SwiGLU 128, vocab 512, 32 positions: seconds on
//                the emulated CUDA device, so that a test can run the benchmark; never by default
// all with the head tied to the embedding, as llama2.c's stories models. Weights are random
// (seeded). The prompt is BOS, the space token and two random ids (tools/llama2c_binary.h says
// why); it is prefilled, then new tokens are decoded greedily one at a time through the KV cache
// by infer::generate until 256 positions are filled (stories15M: 252 new tokens) or 256 are new.
// tokens/s counts the forwards after the first new token over the time from that token to the
// last, as run.c's own figure does. Each repeat runs ours, then run.c, so that a change in the
// machine's load hits both; the median and the range of N repeats are reported.
//
// run.c (`--llama2c-run PATH`, built by the user) reads the model exported to llama2.c's file
// format (io/llama2c_export.h) with a tokenizer whose pieces map back to ids, at as many
// threads as ours (OMP_NUM_THREADS); the report says for how many steps it chose our tokens.
// Each side runs under the OpenMP wait policy it is best with: like `generate`, the benchmark
// restarts itself with OMP_WAIT_POLICY=passive when the caller set none, and starts run.c, runq.c
// and PyTorch with the caller's environment (tools/wait_policy.h); the header line says which.
// runq.c (`--llama2c-runq PATH`) does the same on the model exported as int8 groups
// (export_llama2c_q8). `--weights bfloat16|int8` has our decode steps stream converted weights.
// PyTorch's side is tools/bench/llama2c_reference.py: it reads the same file and decodes with
// run.c's forward semantics, written in torch eager with a KV cache, under /usr/bin/python3.
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
#include "infer/generate.h"
#include "io/llama2c_export.h"
#include "kernels/backend.h"
#include "tools/llama2c_binary.h"
#include "tools/wait_policy.h"

namespace bytegrad::tools {
namespace {

using nlohmann::json;
using Clock = std::chrono::steady_clock;

constexpr int64_t kPromptTokens = 4;
constexpr int64_t kNewTokens = 256;

struct DecodeShape {
  std::string name;
  nn::ModelConfig config;
  bool by_default = true;  // run when no --model is given
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
  nn::ModelConfig tiny = stories_config(64, 2, 2, 128, 32);
  tiny.vocab_size = 512;
  return {{"stories15M", stories_config(288, 6, 6, 768, 256)},
          {"stories110M", stories_config(768, 12, 12, 2048, 1024)},
          {"tiny", tiny, false}};
}

// Median and range of repeated measurements.
struct Spread {
  double median = 0, min = 0, max = 0;
};

Spread spread(std::vector<double> values) {
  std::sort(values.begin(), values.end());
  return {values[values.size() / 2], values.front(), values.back()};
}

struct Decoded {
  std::vector<int64_t> tokens;
  double tokens_per_s = 0;  // forwards after the first new token, per second
};

// Greedy decoding of `steps` tokens after `prompt` through infer::generate.
Decoded decode(nn::Llama& model, const std::vector<int64_t>& prompt, int64_t steps,
               kernels::cpu::WeightFormat weights) {
  infer::GenerationOptions options;
  options.temperature = 0;
  options.weights = weights;
  options.max_gen_len = steps;
  Clock::time_point first, last;
  options.on_token = [&](int64_t, int64_t) {
    last = Clock::now();
    if (first == Clock::time_point()) first = last;
  };
  Decoded result;
  result.tokens = infer::generate(model, {prompt}, options).tokens[0];
  result.tokens_per_s = double(result.tokens.size() - 1) / std::chrono::duration<double>(last - first).count();
  return result;
}

// How many leading tokens two greedy runs share.
int64_t agreeing(const std::vector<int64_t>& a, const std::vector<int64_t>& b) {
  return std::mismatch(a.begin(), a.end(), b.begin(), b.end()).first - a.begin();
}

// PyTorch's figures for the model exported to `checkpoint`, or nullopt after printing why not.
std::optional<json> torch_decode(const std::string& script, const std::string& checkpoint,
                                 const std::vector<int64_t>& prompt, int64_t steps, int repeats,
                                 Device device) {
  std::string prompt_text;
  for (int64_t id : prompt) prompt_text += (prompt_text.empty() ? "" : ",") + std::to_string(id);
  const std::string output = checkpoint + ".json";
  const std::string command = caller_wait_policy_prefix() + kTorchPython + " " + shell_quote(script) + " bench " +
                              shell_quote(checkpoint) + " --prompt " + prompt_text + " --steps " +
                              std::to_string(steps) + " --repeats " + std::to_string(repeats) +
                              " --threads " + std::to_string(omp_get_max_threads()) + " --device " +
                              device.str() + " > " +
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

struct BenchSettings {
  int repeats = 5;
  std::string llama2c_run;   // run.c's binary, or empty
  std::string llama2c_runq;  // runq.c's binary, or empty
  std::string torch_reason;  // why PyTorch is left out, or empty
  Device device = kCPU;      // where ours and PyTorch decode
  kernels::cpu::WeightFormat weights = kernels::cpu::WeightFormat::Float32;  // ours
};

void print_row(const char* who, const Spread& rate, const Spread* ours, int64_t same, int64_t steps,
               const std::string& note) {
  std::printf("  %-8s %8.1f  %7.1f..%-7.1f %6.2f ms", who, rate.median, rate.min, rate.max, 1e3 / rate.median);
  if (ours)
    std::printf("  %5.2fx  %lld/%lld%s\n", ours->median / rate.median, (long long)same, (long long)steps, note.c_str());
  else
    std::printf("\n");
}

void bench_shape(const DecodeShape& shape, const BenchSettings& settings) {
  Generator generator(1234);
  nn::Llama model(shape.config, generator);
  model.eval();
  const Tensor random_ids = randint(kLlama2cSpaceToken + 1, shape.config.vocab_size, {kPromptTokens - 2},
                                    {DType::Int64, kCPU}, &generator);
  std::vector<int64_t> prompt = {1, kLlama2cSpaceToken};  // BOS, the space run.c's encoder adds
  for (int64_t id : random_ids.to_vector<int64_t>()) prompt.push_back(id);
  const int64_t steps = std::min(kNewTokens, shape.config.max_position_embeddings - kPromptTokens);

  const std::string base = (std::filesystem::temp_directory_path() /
                            ("bytegrad-bench-" + std::to_string(getpid()))).string();
  const std::string checkpoint = base + ".bin", quantized = base + ".q8.bin", tokenizer = base + ".tokenizer.bin";
  io::TensorMap weights;
  for (const auto& [name, tensor] : model.named_parameters()) weights[name] = tensor;
  // The float32 file for run.c and PyTorch, the int8 one for runq.c: only what a reader needs.
  if (!settings.llama2c_run.empty() || settings.torch_reason.empty()) io::export_llama2c(checkpoint, weights, shape.config);
  if (!settings.llama2c_runq.empty()) io::export_llama2c_q8(quantized, weights, shape.config);
  write_codepoint_tokenizer(tokenizer, shape.config.vocab_size);
  model.to(settings.device);  // after the export, which reads the weights on the host

  // llama2.c's programs beside ours, each on its file.
  struct Other {
    const char* name;
    std::string binary, file;
    std::vector<double> rates;
    Llama2cRun last;
  };
  std::vector<Other> others;
  if (!settings.llama2c_run.empty()) others.push_back({"run.c", settings.llama2c_run, checkpoint, {}, {}});
  if (!settings.llama2c_runq.empty()) others.push_back({"runq.c", settings.llama2c_runq, quantized, {}, {}});

  decode(model, prompt, 8, settings.weights);  // warm-up: page faults, the helper threads, the allocator's blocks
  std::vector<double> ours_rates;
  Decoded ours;
  for (int r = 0; r < settings.repeats; ++r) {
    ours = decode(model, prompt, steps, settings.weights);
    ours_rates.push_back(ours.tokens_per_s);
    for (Other& other : others) {
      other.last = run_llama2c(other.binary, other.file, tokenizer, prompt, kPromptTokens + steps, omp_get_max_threads());
      other.rates.push_back(other.last.tokens_per_s);
    }
  }
  const Spread ours_rate = spread(ours_rates);
  std::printf("%s, %lld new tokens\n", shape.name.c_str(), (long long)steps);
  print_row("ours", ours_rate, nullptr, 0, 0, "");
  for (const Other& other : others)
    print_row(other.name, spread(other.rates), &ours_rate, agreeing(ours.tokens, other.last.tokens), steps,
              other.last.stopped_at_bos ? " (stopped at BOS)" : "");
  std::fflush(stdout);

  if (settings.torch_reason.empty()) {
    const std::optional<json> torch = torch_decode(bench_script_path("llama2c_reference.py"), checkpoint,
                                                   prompt, steps, settings.repeats, settings.device);
    if (torch) {
      const std::vector<double> runs = (*torch)["runs"].get<std::vector<double>>();
      print_row("PyTorch", spread(runs), &ours_rate,
                agreeing(ours.tokens, (*torch)["tokens"].get<std::vector<int64_t>>()), steps, "");
    }
  }
  for (const std::string& file : {checkpoint, quantized, tokenizer}) std::filesystem::remove(file);
  std::fflush(stdout);
}

}  // namespace

int run_bench_generate(const Args& args) {
  const Options options = parse_options(command_spec("bench generate"), args);
  BenchSettings settings;
  settings.repeats = std::stoi(options.get("--repeats"));
  BYTEGRAD_CHECK(settings.repeats >= 1, "bench generate: --repeats must be at least 1");
  settings.llama2c_run = options.value("--llama2c-run").value_or("");
  settings.llama2c_runq = options.value("--llama2c-runq").value_or("");
  for (const auto& [option, binary] : {std::pair{"--llama2c-run", settings.llama2c_run},
                                       std::pair{"--llama2c-runq", settings.llama2c_runq}})
    BYTEGRAD_CHECK(binary.empty() || access(binary.c_str(), X_OK) == 0, "bench generate: ", option, " ", binary,
                   " is not an executable file");
  const std::string only_model = options.value("--model").value_or("");
  std::vector<DecodeShape> shapes = decode_shapes();
  if (!only_model.empty()) {
    std::erase_if(shapes, [&](const DecodeShape& s) { return s.name != only_model; });
    BYTEGRAD_CHECK(!shapes.empty(), "bench generate: unknown model '", only_model,
                   "' (available: stories15M, stories110M, tiny)");
  } else {
    std::erase_if(shapes, [](const DecodeShape& s) { return !s.by_default; });
  }
  settings.weights = kernels::cpu::weight_format_from_name(options.get("--weights"));
  settings.device = Device::parse(options.get("--device"));
  kernels::backend_for(settings.device);  // fails here, naming the device, where it does not exist
  if (settings.device.is_cuda()) {
    BYTEGRAD_CHECK(settings.weights == kernels::cpu::WeightFormat::Float32, "bench generate: --weights ",
                   options.get("--weights"), " converts weights for the CPU's decode steps; on ", settings.device,
                   " only float32 is measured");
    BYTEGRAD_CHECK(settings.llama2c_run.empty() && settings.llama2c_runq.empty(),
                   "bench generate: llama2.c's programs decode on the CPU; leave out --llama2c-run and "
                   "--llama2c-runq with --device ", settings.device);
  }
  settings.torch_reason = options.flag("--no-torch")
                              ? "--no-torch"
                              : torch_unavailable_reason(bench_script_path("llama2c_reference.py"), "torch, numpy");
  if (settings.device.is_cuda() && settings.torch_reason.empty() &&
      std::system((std::string(kTorchPython) + " -c 'import sys, torch; sys.exit(not torch.cuda.is_available())' "
                   ">/dev/null 2>&1").c_str()) != 0)
    settings.torch_reason = "torch finds no CUDA device (torch.cuda.is_available() is false)";
  const std::string where =
      settings.device.is_cuda() ? settings.device.str() : concat("CPU, ", omp_get_max_threads(), " threads");
  std::printf("greedy decoding at batch 1, %s, %lld-token prompt, median and range of %d runs; "
              "ours with %s weights, the others float32\n", where.c_str(), (long long)kPromptTokens,
              settings.repeats, kernels::cpu::weight_format_name(settings.weights).c_str());
  if (!settings.device.is_cuda()) {
    // Each side decodes under the wait policy it runs best with (tools/wait_policy.h).
    const char* ours = std::getenv("OMP_WAIT_POLICY");
    const std::string theirs = caller_wait_policy_prefix().empty() && ours ? ours : "unset (libgomp's default)";
    std::printf("OMP_WAIT_POLICY: ours %s, the others %s\n", ours ? ours : "unset (libgomp's default)", theirs.c_str());
  }
  if (!settings.torch_reason.empty()) std::printf("PyTorch left out: %s\n", settings.torch_reason.c_str());
  std::printf("  %-8s %8s  %-15s %9s  %6s  %s\n", "", "tok/s", "min..max", "per token", "ours/it",
              "same greedy tokens");
  for (const DecodeShape& shape : shapes) bench_shape(shape, settings);
  std::printf("ours/it = our median tokens per second over theirs: above 1 we are faster\n");
  return 0;
}

}  // namespace bytegrad::tools
