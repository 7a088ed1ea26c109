// What `bytegrad generate` and `bytegrad chat` share: the model directory with its tokenizer,
// the sampling options (--max-new-tokens, --temperature, --top-p, --top-k, --seed), and the
// streaming of a reply to stdout with its speed on stderr.
#pragma once

#include <set>
#include <string>
#include <vector>

#include "infer/generate.h"
#include "tools/cmd_tokenizer_args.h"
#include "io/model_directory.h"

namespace bytegrad::tools {

// The options every generating command accepts, to merge into its own option set.
std::set<std::string> sampling_option_names();

// GenerationOptions from the sampling options (defaults: 256 new tokens, temperature 0.6,
// top-p 0.9, top-k 0 = off, seed 0). Throws std::runtime_error naming an option whose value is
// not a number, and Error for values out of range.
infer::GenerationOptions generation_options_from(const TokenizerArgs& args);

// Loads --model DIR; throws std::runtime_error when the directory has no tokenizer.
io::PretrainedModel load_model_with_tokenizer(const TokenizerArgs& args);

struct StreamedReply {
  std::vector<int64_t> tokens;  // the generated tokens, stop token excluded
  std::vector<double> log_probs;  // with options.logprobs
  double seconds = 0;           // spent generating
};

// Generates a continuation of `prompt`, printing its text to stdout as it is produced (whole
// UTF-8 characters at a time) and a newline at the end, then "N tokens in S s (X tokens/s)" on
// stderr, and a line saying so when the model's context ended the reply before max_gen_len.
StreamedReply stream_reply(nn::CausalLM& model, const tokenizer::Tokenizer& tokenizer,
                           const std::vector<int64_t>& prompt, infer::GenerationOptions options);

}  // namespace bytegrad::tools
