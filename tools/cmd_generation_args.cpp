#include "tools/cmd_generation_args.h"

#include <charconv>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <stdexcept>

#include <omp.h>

#include "base/error.h"
#include "infer/finite_weights.h"
#include "infer/text_stream.h"

namespace bytegrad::tools {
namespace {

// The weights a reply was decoded with: "int8 weights, stored in the model directory", ...
std::string weights_note(const infer::GenerationOptions& options) {
  const std::string format = kernels::cpu::weight_format_name(options.weights) + " weights";
  if (options.weights == kernels::cpu::WeightFormat::Float32) return format;
  const bool stored = options.stored_weights && options.stored_weights->format == options.weights;
  return format + (stored ? ", stored in the model directory" : ", converted from float32 at start");
}

// Writes `text` to stdout now (all its bytes, NUL included).
void print_now(const std::string& text) {
  std::fwrite(text.data(), 1, text.size(), stdout);
  std::fflush(stdout);
}

}  // namespace

infer::GenerationOptions generation_options_from(const Options& args) {
  infer::GenerationOptions options;
  options.max_gen_len = args.number<int64_t>("--max-new-tokens");
  options.temperature = args.number<double>("--temperature");
  options.top_p = args.number<double>("--top-p");
  options.top_k = args.number<int64_t>("--top-k");
  options.seed = args.number<uint64_t>("--seed");
  if (const auto weights = args.value("--weights")) options.weights = kernels::cpu::weight_format_from_name(*weights);
  options.validate();
  return options;
}

void choose_weights(infer::GenerationOptions& options, const Options& args, const io::PretrainedModel& pretrained) {
  if (pretrained.quantized.empty()) return;
  if (!args.value("--weights") && pretrained.model->device() == kCPU) options.weights = pretrained.quantized.format;
  options.stored_weights = &pretrained.quantized;
}

void require_tokenizer(const io::PretrainedModel& pretrained, const Options& args) {
  if (!pretrained.tokenizer)
    throw std::runtime_error(args.get("--model") + ": no tokenizer.json or tokenizer.model to turn text into tokens");
}

io::PretrainedModel load_generation_model(const Options& args, bool float32_needed) {
  const Device device = Device::parse(args.get("--device"));
  io::PretrainedModel pretrained = io::load_pretrained_model(args.get("--model"), {.float32_matrices = false});
  const std::optional<std::string> weights = args.value("--weights");
  const bool stored_format =
      !pretrained.quantized.empty() &&
      (!weights || kernels::cpu::weight_format_from_name(*weights) == pretrained.quantized.format);
  if (float32_needed || device != kCPU || !stored_format) io::restore_float32_matrices(pretrained);
  infer::require_finite_weights(*pretrained.model, args.get("--model"));
  const std::string bad = io::first_nonfinite_matrix(pretrained.quantized);
  BYTEGRAD_CHECK(bad.empty(), args.get("--model"), ": stored matrix '", bad,
                 "' holds NaN or infinite values; refusing to use it");
  pretrained.model->to(device);
  return pretrained;
}

io::PretrainedModel load_model_with_tokenizer(const Options& args) {
  io::PretrainedModel pretrained = load_generation_model(args);
  require_tokenizer(pretrained, args);
  return pretrained;
}

StreamedReply stream_reply(nn::CausalLM& model, const tokenizer::Tokenizer& tokenizer,
                           const std::vector<int64_t>& prompt, infer::GenerationOptions options) {
  infer::TextStream stream(tokenizer);
  options.on_token = [&](int64_t, int64_t token) {
    print_now(stream.push(token));
  };
  const auto start = std::chrono::steady_clock::now();
  infer::GenerationResult result = infer::generate(model, {prompt}, options);
  StreamedReply reply;
  reply.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  print_now(stream.finish() + "\n");
  reply.tokens = std::move(result.tokens[0]);
  if (options.logprobs) reply.log_probs = std::move(result.log_probs[0]);
  const size_t generated = options.echo ? reply.tokens.size() - std::min(reply.tokens.size(), prompt.size())
                                        : reply.tokens.size();
  // The speed with what it depends on: the threads and OpenMP's wait policy (tools/wait_policy.h).
  const char* policy = std::getenv("OMP_WAIT_POLICY");
  std::fprintf(stderr, "%zu tokens in %.2f s (%.1f tokens/s; %d threads, OMP_WAIT_POLICY=%s; %s)\n", generated,
               reply.seconds, reply.seconds > 0 ? double(generated) / reply.seconds : 0.0, omp_get_max_threads(),
               policy ? policy : "(unset)", weights_note(options).c_str());
  const int64_t context = model.config().max_position_embeddings;
  if (infer::ended_by_context(int64_t(prompt.size()), int64_t(generated), options.max_gen_len, context))
    std::fprintf(stderr,
                 "stopped at the model's context of %lld tokens (max_position_embeddings; the prompt took %zu), "
                 "before --max-new-tokens %lld\n",
                 static_cast<long long>(context), prompt.size(), static_cast<long long>(options.max_gen_len));
  return reply;
}

}  // namespace bytegrad::tools
