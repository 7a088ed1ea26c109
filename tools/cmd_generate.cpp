// `bytegrad generate --model DIR --prompt TEXT [--max-new-tokens N] [--temperature T]
//                    [--top-p P] [--top-k K] [--seed S] [--echo] [--logprobs]`
// Continues TEXT with the model of a Hugging Face model directory, streaming the text to stdout
// as it is produced and the speed to stderr. The prompt is encoded with the tokenizer's special
// tokens (BOS for Llama tokenizers); generation stops at the tokenizer's EOS. --echo prints the
// prompt before the continuation; --logprobs adds a last line of JSON,
// {"tokens": [...], "log_probs": [...]}, the returned tokens with log p(token | before).
// --soft-encoder ENC_DIR (a directory `bytegrad soft-tokenizer train` wrote) reads each [[word]]
// of the prompt as one input position embedded by the encoder from the word's bytes, a word the
// vocabulary need not hold (train/soft_encoder/soft_prompt.h); --soft-table takes every ordinary
// token's embedding from the encoder as well. stderr names the host tokens nearest to each word.
// A T-Free model directory generates words through its dictionary (infer/tfree_generate.h);
// --edge-weight, --tfree-score and --more-words set its decoding.
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
#include "autograd/functions.h"
#include "io/soft_encoder_directory.h"
#include "nn/soft_embedding_lm.h"
#include "train/soft_encoder/soft_prompt.h"
#include "train/soft_encoder/token_encoding.h"

namespace bytegrad::tools {
namespace {

// The host fed the encoder's [[word]] embeddings as extra table rows after its own (or the
// encoder's, with `soft_table`) embeddings of its vocabulary.
StreamedReply generate_with_soft_words(nn::CausalLM& host, const tokenizer::Tokenizer& tok,
                                       const io::LoadedSoftEncoder& loaded, const std::string& prompt, bool soft_table,
                                       const infer::GenerationOptions& generation) {
  const nn::SoftByteEncoder& encoder = *loaded.encoder;
  const Tensor own = train::host_input_table(host, "generate --model");
  BYTEGRAD_CHECK(encoder.config().output_size == own.size(1), "generate: the soft encoder's output_size ",
                 encoder.config().output_size, " is not the model's hidden size ", own.size(1));
  const Tensor vocabulary_table =
      soft_table ? train::soft_input_table(encoder, train::make_token_dataset(tok, own, {.heldout_fraction = 0}, "generate"),
                                           /*rescale_norms=*/false)
                 : own;
  const train::SoftPrompt soft = train::encode_soft_prompt(prompt, tok, encoder, own.size(0), true);
  // Which host tokens each word's embedding lies nearest to, on stderr beside the speed.
  const std::vector<std::vector<int64_t>> nearest =
      soft.words.empty() ? std::vector<std::vector<int64_t>>{} : train::nearest_tokens(soft.rows, own, 3);
  for (size_t i = 0; i < soft.words.size(); ++i) {
    std::string line = "[[" + soft.words[i] + "]] is nearest to";
    for (int64_t id : nearest[i]) line += " '" + tok.decode(std::vector<tokenizer::TokenId>{tokenizer::TokenId(id)}) + "'";
    std::fprintf(stderr, "%s\n", line.c_str());
  }
  const Tensor table = soft.words.empty() ? vocabulary_table : cat({vocabulary_table, soft.rows}, 0);
  nn::SoftEmbeddingLM model(host, table);
  return stream_reply(model, tok, soft.ids, generation);
}

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
  options.decode.edge_weight = cli.number<double>("--edge-weight");
  const std::string score = cli.get("--tfree-score");
  if (score != "outside" && score != "mean")
    throw std::runtime_error("generate: --tfree-score must be 'outside' or 'mean', got '" + score + "'");
  options.decode.score = score == "mean" ? infer::TfreeScore::kPatternMean : infer::TfreeScore::kPatternMeanMinusOutside;
  for (const std::string& text : cli.values("--more-words"))
    for (std::string& word : tokenizer::text_to_words(text)) options.more_words.push_back(std::move(word));
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
  io::PretrainedModel pretrained = load_generation_model(cli, cli.value("--soft-encoder").has_value());
  // A soft encoder's words decode through the general path, in the model's float32 weights.
  if (!cli.value("--soft-encoder")) choose_weights(generation, cli, pretrained);
  if (pretrained.model->model_type() == "tfree") return generate_tfree_words(cli, generation, prompt, pretrained);
  require_tokenizer(pretrained, cli);
  const tokenizer::Tokenizer& tok = *pretrained.tokenizer;
  if (tok.eos_id()) generation.stop_tokens = {*tok.eos_id()};
  if (generation.echo) std::fwrite(prompt.data(), 1, prompt.size(), stdout);
  StreamedReply reply;
  if (const auto encoder_dir = cli.value("--soft-encoder")) {
    reply = generate_with_soft_words(*pretrained.model, tok, io::load_soft_encoder(*encoder_dir), prompt,
                                     cli.flag("--soft-table"), generation);
  } else {
    BYTEGRAD_CHECK(!cli.flag("--soft-table"), "generate: --soft-table needs --soft-encoder");
    const std::vector<tokenizer::TokenId> encoded = tok.encode(prompt, {.add_special_tokens = true});
    reply = stream_reply(*pretrained.model, tok, std::vector<int64_t>(encoded.begin(), encoded.end()), generation);
  }
  if (generation.logprobs)
    std::printf("%s\n", nlohmann::json{{"tokens", reply.tokens}, {"log_probs", reply.log_probs}}.dump().c_str());
  return 0;
}

}  // namespace bytegrad::tools
