// `bytegrad generate --model DIR --prompt TEXT [--max-new-tokens N] [--temperature T]
//                    [--top-p P] [--top-k K] [--seed S] [--echo] [--logprobs]`
// Continues TEXT with the model of a Hugging Face model directory, streaming the text to stdout
// as it is produced and the speed to stderr. The prompt is encoded with the tokenizer's special
// tokens (BOS for Llama tokenizers); generation stops at the tokenizer's EOS. --echo prints the
// prompt before the continuation; --logprobs adds a last line of JSON,
// {"tokens": [...], "log_probs": [...]}, the returned tokens with log p(token | before).
#include <cstdio>

#include <nlohmann/json.hpp>

#include "tools/cmd_generation_args.h"
#include "tools/command_specs.h"
#include "tools/commands.h"

namespace bytegrad::tools {

int run_generate(const Args& args) {
  const Options cli = parse_options(command_spec("generate"), args);
  infer::GenerationOptions generation = generation_options_from(cli);
  generation.echo = cli.flag("--echo");
  generation.logprobs = cli.flag("--logprobs");
  const std::string prompt = cli.get("--prompt");

  io::PretrainedModel pretrained = load_model_with_tokenizer(cli);
  const tokenizer::Tokenizer& tok = *pretrained.tokenizer;
  if (tok.eos_id()) generation.stop_tokens = {*tok.eos_id()};
  const std::vector<tokenizer::TokenId> encoded = tok.encode(prompt, {.add_special_tokens = true});
  const std::vector<int64_t> prompt_ids(encoded.begin(), encoded.end());

  if (generation.echo) std::fwrite(prompt.data(), 1, prompt.size(), stdout);
  const StreamedReply reply = stream_reply(*pretrained.model, tok, prompt_ids, generation);
  if (generation.logprobs)
    std::printf("%s\n", nlohmann::json{{"tokens", reply.tokens}, {"log_probs", reply.log_probs}}.dump().c_str());
  return 0;
}

}  // namespace bytegrad::tools
