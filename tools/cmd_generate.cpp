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
#include <cstdio>

#include <nlohmann/json.hpp>

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

}  // namespace

int run_generate(const Args& args) {
  const Options cli = parse_options(command_spec("generate"), args);
  infer::GenerationOptions generation = generation_options_from(cli);
  generation.echo = cli.flag("--echo");
  generation.logprobs = cli.flag("--logprobs");
  const std::string prompt = cli.get("--prompt");

  io::PretrainedModel pretrained = load_model_with_tokenizer(cli);
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
