// What `bytegrad generate` and `bytegrad chat` share: the model directory with its tokenizer,
// the sampling options (--max-new-tokens, --temperature, --top-p, --top-k, --seed), and the
// streaming of a reply to stdout with its speed on stderr.
#pragma once

#include <string>
#include <vector>

#include "infer/generate.h"
#include "tools/options.h"
#include "io/model_directory.h"

namespace bytegrad::tools {

// GenerationOptions from the sampling options (their defaults are in tools/command_specs.cpp).
// Throws std::runtime_error naming an option whose value is not a number, and Error for values
// out of range.
infer::GenerationOptions generation_options_from(const Options& args);

// The weights the decode steps stream: --weights when given, else the format a quantized model
// directory stores (on the CPU; float32 elsewhere), its stored matrices handed on so that nothing
// is converted. `pretrained` must outlive `options`' use.
void choose_weights(infer::GenerationOptions& options, const Options& args, const io::PretrainedModel& pretrained);

// Loads --model DIR, checks that its weights are finite, and moves it to --device. A quantized
// directory decoded in its own format on the CPU (no --weights, or --weights naming its format)
// keeps only its stored matrices, no float32 copies of them (io::LoadOptions), unless
// `float32_needed` (a path other than the decode plan will run the model).
io::PretrainedModel load_generation_model(const Options& args, bool float32_needed = false);
// The same, and throws std::runtime_error when the directory has no tokenizer.
io::PretrainedModel load_model_with_tokenizer(const Options& args);
// Throws std::runtime_error naming --model's directory when `pretrained` has no tokenizer.
void require_tokenizer(const io::PretrainedModel& pretrained, const Options& args);

struct StreamedReply {
  std::vector<int64_t> tokens;  // the generated tokens, stop token excluded
  std::vector<double> log_probs;  // with options.logprobs
  double seconds = 0;           // spent generating
};

// Generates a continuation of `prompt`, printing its text to stdout as it is produced (whole
// UTF-8 characters at a time) and a newline at the end, then "N tokens in S s (X tokens/s; ...)"
// on stderr with the threads, the wait policy and the weights' format (stored or converted), and
// a line saying so when the model's context ended the reply before max_gen_len.
StreamedReply stream_reply(nn::CausalLM& model, const tokenizer::Tokenizer& tokenizer,
                           const std::vector<int64_t>& prompt, infer::GenerationOptions options);

}  // namespace bytegrad::tools
