// `bytegrad bench train [--device cpu|cuda|cuda:N] [--steps N] [--model stories15M|gpt2]
// [--profile] [--no-torch] [--openblas-core NAME] [--matmul-precision highest|high|medium]
// [--peak-tflops X]`: training throughput beside PyTorch running the same step on the same
// shapes, in the same environment (see run_bench_train).
// --profile adds a table of seconds per op (base/profile.h); --no-torch leaves PyTorch out.
//   stories15M: Llama, hidden 288, 6 layers, 6 heads (6 KV heads), SwiGLU 768, vocab 32000, tied
//               head (as llama2.c), batch 8 x 256 tokens
//   gpt2:       GPT-2 124M, 12 layers, 12 heads, hidden 768, vocab 50257, 1024 positions,
//               batch 4 x 256 tokens on the CPU, 16 x 1024 on a GPU (llm.c's and nanoGPT's step)
//   tiny:       a GPT-2 of hidden 64, 2 layers, batch 2 x 32: runs in seconds on the emulated
//               CUDA device, so that a test can run the benchmark end to end; never by default
// On the CPU both models run in float32. On a CUDA device (gpt2 by default) the weights stay
// float32 and the matrix products take kernels::float32_matmul_precision() from
// --matmul-precision (default medium: bfloat16 inputs, float32 accumulation), and the report adds
// the model FLOPs utilisation: MFU = tokens/s x (6 x parameters + 12 x layers x T x hidden) / peak,
// the second term being attention's score and value products (forward and backward) that the
// parameter count misses, over the peak of --peak-tflops (default 989: H100 SXM, bfloat16 dense).
// One step is forward, cross-entropy, backward and an AdamW update, on random weights and random
// token ids from a fixed seed. After one warm-up step the median of N timed steps gives tokens/s.
// Each model runs in a fresh child process (this program re-run with a hidden --child flag) so
// that its peak resident memory (VmHWM) is its own; tools/bench/torch_train_step.py is run the
// same way with /usr/bin/python3, where Debian's torch lives (on a GPU with bfloat16 autocast for
// medium, torch.set_float32_matmul_precision otherwise, and torch's fused causal attention).
#include <unistd.h>

#include <algorithm>
#include <array>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <optional>
#include <stdexcept>
#include <string>
#include <tuple>
#include <vector>

#include <nlohmann/json.hpp>

#include "base/process_memory.h"
#include "base/profile.h"
#include "bytegrad.h"
#include "kernels/backend.h"
#include "kernels/matmul_precision.h"
#include "nn/model_family.h"
#include "nn/loss.h"
#if defined(BYTEGRAD_WITH_CUDA)
#include "kernels/cuda/device_query.h"
#endif
#include "tools/bench_python.h"
#include "tools/command_specs.h"
#include "tools/commands.h"
#include "train/optimizer_settings.h"

namespace bytegrad::tools {
namespace {

using nlohmann::json;
using Clock = std::chrono::steady_clock;

struct TrainShape {
  std::string name;
  bool is_llama;
  nn::ModelConfig config;
  int64_t batch, seq_len;
  int default_steps;  // GPT-2's steps take seconds each on the CPU; three keep the run short
  bool by_default;    // run when no --model is given
};

// The shapes benchmarked on `device`: on a GPU, GPT-2 at llm.c's batch of 16 x 1024.
std::vector<TrainShape> train_shapes(Device device) {
  nn::ModelConfig stories;
  stories.vocab_size = 32000;
  stories.hidden_size = 288;
  stories.num_hidden_layers = 6;
  stories.num_attention_heads = 6;
  stories.num_key_value_heads = 6;
  stories.intermediate_size = 768;
  stories.max_position_embeddings = 256;
  stories.tie_word_embeddings = true;

  nn::ModelConfig gpt2;
  gpt2.vocab_size = 50257;
  gpt2.hidden_size = 768;
  gpt2.num_hidden_layers = 12;
  gpt2.num_attention_heads = 12;
  gpt2.max_position_embeddings = 1024;
  nn::ModelConfig tiny;
  tiny.vocab_size = 256;
  tiny.hidden_size = 64;
  tiny.num_hidden_layers = 2;
  tiny.num_attention_heads = 2;
  tiny.max_position_embeddings = 32;
  if (device.is_cuda())
    return {{"stories15M", true, stories, 8, 256, 10, false},
            {"gpt2", false, gpt2, 16, 1024, 10, true},
            {"tiny", false, tiny, 2, 32, 2, false}};
  return {{"stories15M", true, stories, 8, 256, 5, true},
          {"gpt2", false, gpt2, 4, 256, 3, true},
          {"tiny", false, tiny, 2, 32, 2, false}};
}

// Model FLOPs of one token's training step (forward and backward): 6 per parameter (a multiply
// and an add forward, twice that backward), plus attention's QK^T and AV products, which hold no
// parameters: 2 x 2 x T x hidden per layer forward, three times that with backward, at the full
// sequence length T (the formula of PaLM's appendix B and llm.c, counting masked positions too).
double flops_per_token(const TrainShape& shape, int64_t parameters) {
  return 6.0 * double(parameters) + 12.0 * double(shape.config.num_hidden_layers) * double(shape.seq_len) *
                                        double(shape.config.hidden_size);
}

// "cuda:0 (NVIDIA H100 80GB HBM3 (sm_90, 79.1 GiB); real (nvcc, GPU))", or "cpu".
std::string describe_device(Device device) {
#if defined(BYTEGRAD_WITH_CUDA)
  if (device.is_cuda())
    return concat(device, " (", kernels::cuda::device_description(device.index), "; ",
                  kernels::cuda::backend_variant(), ")");
#endif
  return concat(device);
}

// Whether `device` is a CUDA device of the emulated build (kernels on CPU fibers).
bool is_emulated(Device device) {
#if defined(BYTEGRAD_WITH_CUDA)
  return device.is_cuda() && std::string(kernels::cuda::backend_variant()).starts_with("emulated");
#else
  (void)device;
  return false;
#endif
}

double median(std::vector<double> values) {
  std::sort(values.begin(), values.end());
  return values[values.size() / 2];
}

double seconds_since(Clock::time_point start) {
  return std::chrono::duration<double>(Clock::now() - start).count();
}

// Runs one model's steps in this process and prints its figures as one JSON line; with
// `profile`, the line carries the per-op seconds of an average timed step.
int run_child(const TrainShape& shape, int steps, bool with_profile, Device device) {
  Generator generator(1234);
  const std::unique_ptr<nn::CausalLM> model =
      nn::build_causal_lm(shape.is_llama ? "llama" : "gpt2", shape.config, generator);
  model->to(device);  // before the optimizer, whose moments live beside the parameters
  const std::unique_ptr<train::Optimizer> optimizer =
      train::make_optimizer({.name = "adamw", .adamw = {.learning_rate = 3e-4}, .sgd = {}}, *model);
  const int64_t parameter_count = model->parameter_count();

  const Shape tokens{shape.batch, shape.seq_len};
  const Tensor ids = randint(0, shape.config.vocab_size, tokens, {DType::Int64, kCPU}, &generator).to(device);
  const Tensor targets =
      randint(0, shape.config.vocab_size, tokens, {DType::Int64, kCPU}, &generator).to(device);
  // A GPU runs the ops queued on its stream after the host has moved on: each clock is read once
  // the device has finished what came before it.
  kernels::Backend& backend = kernels::backend_for(device);
  auto now = [&] {
    backend.synchronize();
    return Clock::now();
  };
  // Forward, backward and update timed apart, to show where a step's time goes.
  std::vector<double> forward_s, backward_s, update_s, step_s;
  double loss = 0.0;
  for (int i = 0; i <= steps; ++i) {  // step 0 is the warm-up
    profile::set_enabled(with_profile && i > 0);
    profile::mark();
    const auto start = now();
    optimizer->zero_grad();
    const Tensor logits = model->forward(ids);
    const Tensor step_loss = nn::cross_entropy(logits, targets);
    const auto forward_done = now();
    backward(step_loss);
    const auto backward_done = now();
    optimizer->step();
    loss = step_loss.item<float>();  // waits for the update too
    if (i == 0) continue;
    forward_s.push_back(std::chrono::duration<double>(forward_done - start).count());
    backward_s.push_back(std::chrono::duration<double>(backward_done - forward_done).count());
    update_s.push_back(seconds_since(backward_done));
    step_s.push_back(seconds_since(start));
  }
  profile::set_enabled(false);
  const double step = median(step_s);
  json result = {{"model", shape.name},
                       {"parameters", parameter_count},
                       {"tokens_per_s", double(shape.batch * shape.seq_len) / step},
                       {"step_s", step},
                       {"forward_s", median(forward_s)},
                       {"backward_s", median(backward_s)},
                       {"update_s", median(update_s)},
                       {"loss", loss},
                       {"peak_rss_mib", peak_resident_mib()},
                       {"flops_per_token", flops_per_token(shape, parameter_count)}};
  if (with_profile) {
    json table = json::array();
    for (const profile::Entry& e : profile::entries())
      table.push_back({e.name, e.seconds / steps, e.calls / steps});
    result["profile"] = table;
  }
  std::printf("%s\n", result.dump().c_str());
  return 0;
}

// The per-op table of one model: seconds per step and calls per step, largest first.
void print_profile(const json& result) {
  std::printf("\n%s, per-op seconds per step (forward: from the previous recorded op to the end of "
              "this one; backward: the node's gradient function)\n",
              result["model"].get<std::string>().c_str());
  double forward = 0.0, backward = 0.0;
  for (const json& row : result["profile"]) {
    const std::string name = row[0].get<std::string>();
    (name.rfind("forward", 0) == 0 ? forward : backward) += row[1].get<double>();
  }
  std::printf("  total forward %.3f s, backward %.3f s\n", forward, backward);
  for (const json& row : result["profile"]) {
    if (row[1].get<double>() < 0.002) break;
    std::printf("  %-36s %8.3f s %7lld calls\n", row[0].get<std::string>().c_str(), row[1].get<double>(),
                (long long)row[2].get<int64_t>());
  }
}

// Runs `command`, and returns the JSON object on the last line of its output, or the reason
// there is none (a failed exit status with the output's tail).
std::pair<std::optional<json>, std::string> run_json_command(const std::string& command) {
  FILE* pipe = popen((command + " 2>&1").c_str(), "r");
  if (!pipe) return {std::nullopt, "could not start: " + command};
  std::string output;
  std::array<char, 4096> buffer;
  for (size_t n; (n = fread(buffer.data(), 1, buffer.size(), pipe)) > 0;) output.append(buffer.data(), n);
  const int status = pclose(pipe);
  std::string last_line = output;
  while (!last_line.empty() && last_line.back() == '\n') last_line.pop_back();
  if (const size_t at = last_line.rfind('\n'); at != std::string::npos) last_line = last_line.substr(at + 1);
  if (status == 0) {
    try {
      return {json::parse(last_line), ""};
    } catch (const json::exception&) {
    }
  }
  if (output.size() > 600) output = "..." + output.substr(output.size() - 600);
  return {std::nullopt, output.empty() ? "exit status " + std::to_string(status) : output};
}

std::string self_path() {
  std::array<char, 4096> path{};
  const ssize_t n = readlink("/proc/self/exe", path.data(), path.size() - 1);
  if (n <= 0) throw std::runtime_error("bench train: cannot read /proc/self/exe");
  return std::string(path.data(), size_t(n));
}

}  // namespace

int run_bench_train(const Args& args) {
  const Options options = parse_options(command_spec("bench train"), args);
  std::optional<int> steps_override;
  if (const auto steps = options.value("--steps")) {
    steps_override = std::stoi(*steps);
    BYTEGRAD_CHECK(*steps_override >= 1, "bench train: --steps must be at least 1");
  }
  const Device device = Device::parse(options.get("--device"));
  const std::string precision_name = options.get("--matmul-precision");
  const kernels::MatmulPrecision precision = kernels::parse_matmul_precision(precision_name);
  const double peak_tflops = std::stod(options.get("--peak-tflops"));
  BYTEGRAD_CHECK(peak_tflops > 0, "bench train: --peak-tflops must be positive, not ", peak_tflops);
  const std::string only_model = options.value("--model").value_or("");
  const std::string child_model = options.value("--child").value_or("");
  const std::string openblas_core = options.value("--openblas-core").value_or("");
  const bool with_profile = options.flag("--profile"), with_torch = !options.flag("--no-torch");
  std::vector<TrainShape> shapes = train_shapes(device);
  const std::string wanted = child_model.empty() ? only_model : child_model;
  if (!wanted.empty()) {
    std::erase_if(shapes, [&](const TrainShape& s) { return s.name != wanted; });
    BYTEGRAD_CHECK(!shapes.empty(), "bench train: unknown model '", wanted, "' (available: stories15M, gpt2, tiny)");
  } else {
    std::erase_if(shapes, [](const TrainShape& s) { return !s.by_default; });
  }
  auto steps_for = [&](const TrainShape& s) { return steps_override.value_or(s.default_steps); };
  if (!child_model.empty()) {
    kernels::set_float32_matmul_precision(device.is_cuda() ? precision : kernels::MatmulPrecision::Highest);
    return run_child(shapes.front(), steps_for(shapes.front()), with_profile, device);
  }
  // Fails here, naming the device, when it does not exist (e.g. --device cuda in a build or on a
  // machine without a GPU), before any child starts.
  kernels::backend_for(device);

  const bool on_gpu = device.is_cuda();
  const std::string self = self_path(), script = bench_script_path("torch_train_step.py");
  std::string torch_reason = with_torch ? torch_unavailable_reason(script, "torch") : "--no-torch";
  if (on_gpu && torch_reason.empty() &&
      std::system((std::string(kTorchPython) + " -c 'import sys, torch; sys.exit(not torch.cuda.is_available())' "
                   ">/dev/null 2>&1").c_str()) != 0)
    torch_reason = "torch finds no CUDA device (torch.cuda.is_available() is false)";
  // Both sides run on the same OpenMP runtime (libgomp) and the same OpenBLAS, so the children
  // get one environment. Two settings are fixed unless given: OMP_WAIT_POLICY=passive, because
  // threads that spin-wait at every barrier lose their time slices to each other on a busy
  // machine (measured: a step 5-20x slower with the default policy while other jobs ran), and
  // OpenBLAS's own choice of kernels for this CPU (OPENBLAS_CORETYPE removed; --openblas-core
  // NAME pins one, e.g. Haswell).
  if (!std::getenv("OMP_WAIT_POLICY")) setenv("OMP_WAIT_POLICY", "passive", 1);
  if (openblas_core.empty()) unsetenv("OPENBLAS_CORETYPE");
  else setenv("OPENBLAS_CORETYPE", openblas_core.c_str(), 1);
  const char* threads = std::getenv("OMP_NUM_THREADS");
  if (on_gpu) {
    std::printf("training step (forward, cross-entropy, backward, AdamW) on %s; float32 weights, float32 "
                "matmul precision '%s' (%s); PyTorch: %s, scaled_dot_product_attention\n",
                describe_device(device).c_str(), precision_name.c_str(),
                precision == kernels::MatmulPrecision::Medium ? "bfloat16 inputs, float32 accumulation"
                : precision == kernels::MatmulPrecision::High ? "TF32 inputs, float32 accumulation"
                                                              : "float32",
                precision == kernels::MatmulPrecision::Medium
                    ? "the forward under torch.autocast(bfloat16) (its 'medium' on CUDA is TF32)"
                    : ("torch.set_float32_matmul_precision('" + precision_name + "')").c_str());
    std::printf("MFU = tokens/s x (6 x parameters + 12 x layers x T x hidden) / %.0f TFLOP/s%s\n", peak_tflops,
                peak_tflops == 989 ? " (H100 SXM bfloat16 dense; --peak-tflops sets another)" : "");
  } else {
    std::printf("training step (forward, cross-entropy, backward, AdamW), float32, CPU, OMP_NUM_THREADS=%s, "
                "OMP_WAIT_POLICY=%s, OpenBLAS kernels: %s (both sides)\n",
                threads ? threads : "(unset)", std::getenv("OMP_WAIT_POLICY"),
                openblas_core.empty() ? "native" : openblas_core.c_str());
  }
  if (!torch_reason.empty()) std::printf("PyTorch column left out: %s\n", torch_reason.c_str());
  if (on_gpu && is_emulated(device) && std::any_of(shapes.begin(), shapes.end(), [](const TrainShape& s) {
        return s.name != "tiny";
      }))
    std::printf("note: %s is emulated on the CPU, where a GPT-2 step at this batch takes hours; "
                "--model tiny runs in seconds\n", device.str().c_str());
  std::printf("%-11s %-9s %7s %12s %12s %7s", "model", "batch", "steps", "ours tok/s", "torch tok/s", "ratio");
  if (on_gpu) std::printf(" %9s %9s", "ours MFU", "torch MFU");
  std::printf(" %10s %10s\n", "ours MiB", "torch MiB");
  std::fflush(stdout);  // the header before the first child's minutes
  auto mfu = [&](const json& result, double flops) {
    return 100.0 * result["tokens_per_s"].get<double>() * flops / (peak_tflops * 1e12);
  };
  std::vector<json> ours_results;
  for (const TrainShape& shape : shapes) {
    const std::string steps = std::to_string(steps_for(shape));
    const std::string device_args = " --device " + device.str() + " --matmul-precision " + precision_name;
    const auto [ours, ours_error] = run_json_command(shell_quote(self) + " bench train --child " + shape.name +
                                                     " --steps " + steps + device_args +
                                                     (with_profile ? " --profile" : ""));
    if (!ours) {
      std::printf("%-11s failed: %s\n", shape.name.c_str(), ours_error.c_str());
      continue;
    }
    ours_results.push_back(*ours);
    std::optional<json> torch;
    std::string torch_error = torch_reason;
    if (torch_reason.empty()) {
      // On the CPU two threads, as the script sets: the figure compares like with like here.
      std::tie(torch, torch_error) = run_json_command(
          std::string(kTorchPython) + " " + shell_quote(script) + " --model " + shape.name + " --steps " + steps +
          " --batch " + std::to_string(shape.batch) + " --seq " + std::to_string(shape.seq_len) + device_args);
    }
    char batch[32];
    std::snprintf(batch, sizeof batch, "%lldx%lld", (long long)shape.batch, (long long)shape.seq_len);
    const double ours_rate = (*ours)["tokens_per_s"].get<double>();
    const double flops = (*ours)["flops_per_token"].get<double>();
    std::printf("%-11s %-9s %7s %12.0f", shape.name.c_str(), batch, steps.c_str(), ours_rate);
    if (torch) std::printf(" %12.0f %6.2fx", (*torch)["tokens_per_s"].get<double>(),
                           ours_rate / (*torch)["tokens_per_s"].get<double>());
    else std::printf(" %12s %7s", "-", "-");
    if (on_gpu) {
      std::printf(" %8.2f%%", mfu(*ours, flops));
      if (torch) std::printf(" %8.2f%%", mfu(*torch, flops));
      else std::printf(" %9s", "-");
    }
    std::printf(" %10.0f", (*ours)["peak_rss_mib"].get<double>());
    if (torch) std::printf(" %10.0f\n", (*torch)["peak_rss_mib"].get<double>());
    else std::printf(" %10s\n", "-");
    if (!torch && torch_reason.empty()) std::printf("  PyTorch failed: %s\n", torch_error.c_str());
    std::fflush(stdout);
  }
  std::printf("ratio = ours / PyTorch tokens per second: above 1 we are faster; MiB: peak resident host memory\n");
  std::printf("\nours, median seconds per step: forward (incl. loss) / backward / AdamW update\n");
  for (const json& r : ours_results)
    std::printf("  %-11s %.3f / %.3f / %.3f  (%.1fM parameters, %.3g FLOPs per token)\n",
                r["model"].get<std::string>().c_str(), r["forward_s"].get<double>(), r["backward_s"].get<double>(),
                r["update_s"].get<double>(), r["parameters"].get<double>() / 1e6, r["flops_per_token"].get<double>());
  for (const json& r : ours_results)
    if (r.contains("profile")) print_profile(r);
  return ours_results.size() == shapes.size() ? 0 : 1;
}

}  // namespace bytegrad::tools
