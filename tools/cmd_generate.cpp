// `bytegrad generate --model DIR --prompt TEXT [--max-new-tokens N] [--temperature T]
//                    [--top-p P] [--top-k K] [--seed S] [--echo] [--logprobs]`
// Continues TEXT with the model of a Hugging Face model directory, streaming the text to stdout
// as it is produced and the speed to stderr. The prompt is encoded with the tokenizer's special
// tokens (BOS for Llama tokenizers); generation stops at the tokenizer's EOS. --echo prints the
// prompt before the continuation; --logprobs adds a last line of JSON,
// {"tokens": [...], "log_probs": [...]}, the returned tokens with log p(token | before).
// A T-Free model directory generates words through its dictionary (infer/tfree_generate.h).
#include <chrono>
#include <cstdio>
#include <filesystem>

#include <nlohmann/json.hpp>

#include "infer/finite_weights.h"
#include "infer/tfree_generate.h"
#include "tokenizer/tfree_words.h"
#include "tools/cmd_generation_args.h"
#include "tools/command_specs.h"
#include "tools/commands.h"

namespace bytegrad::tools {

namespace {

// A T-Free model directory: words through its dictionary instead of tokens. --max-new-tokens
// counts words; --logprobs gives each word's log softmax score over the dictionary.
int generate_tfree_words(const Options& cli, const infer::GenerationOptions& generation, const std::string& prompt,
                         io::PretrainedModel& pretrained) {
  const std::filesystem::path directory = cli.get("--model");
  auto& model = dynamic_cast<nn::TFree&>(*pretrained.model);
  const std::filesystem::path dictionary_path = directory / infer::kTfreeDictionaryFile;
  if (!std::filesystem::exists(dictionary_path))
    throw std::runtime_error(directory.string() + ": no " + infer::kTfreeDictionaryFile +
                             " (the words a T-Free model can produce; `bytegrad train` writes it, `bytegrad tfree "
                             "dictionary` builds one)");
  const tokenizer::TfreeDictionary dictionary = tokenizer::TfreeDictionary::load(dictionary_path);
  const tokenizer::TrigramHasher hasher(infer::tfree_hash_config(model.config()));
  infer::TfreeGenerationOptions options;
  static_cast<infer::SamplingOptions&>(options) = generation;
  options.max_new_words = generation.max_gen_len;
  options.seed = generation.seed;
  std::vector<std::string> words;
  if (generation.echo) std::fwrite(prompt.data(), 1, prompt.size(), stdout);
  // Words become text only next to their neighbours (spaces are implied), so each word is
  // printed as the growing text's new part.
  std::string printed = tokenizer::words_to_text(tokenizer::text_to_words(prompt));
  std::vector<std::string> all = tokenizer::text_to_words(prompt);
  options.on_word = [&](const std::string& word) {
    all.push_back(word);
    const std::string text = tokenizer::words_to_text(all);
    if (text.compare(0, printed.size(), printed) == 0) std::fputs(text.substr(printed.size()).c_str(), stdout);
    std::fflush(stdout);
    printed = text;
  };
  const auto start = std::chrono::steady_clock::now();
  const infer::TfreeGeneration result = infer::tfree_generate(model, hasher, dictionary, prompt, options);
  const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  std::printf("\n");
  std::fprintf(stderr, "%zu words in %.2f s (%.1f words/s), dictionary of %lld words\n", result.words.size(), seconds,
               double(result.words.size()) / std::max(seconds, 1e-9), static_cast<long long>(dictionary.size()));
  if (generation.logprobs)
    std::printf("%s\n", nlohmann::json{{"words", result.words}, {"log_probs", result.log_probs}}.dump().c_str());
  return 0;
}

}  // namespace

int run_generate(const Args& args) {
  const Options cli = parse_options(command_spec("generate"), args);
  infer::GenerationOptions generation = generation_options_from(cli);
  generation.echo = cli.flag("--echo");
  generation.logprobs = cli.flag("--logprobs");
  const std::string prompt = cli.get("--prompt");
  io::PretrainedModel pretrained = io::load_pretrained_model(cli.get("--model"));
  infer::require_finite_weights(*pretrained.model, cli.get("--model"));
  if (pretrained.model->model_type() == "tfree") return generate_tfree_words(cli, generation, prompt, pretrained);
  require_tokenizer(pretrained, cli);
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
