// Tokenizer files: tokenizer.json (with an optional tokenizer_config.json beside it), SentencePiece
// .model, tiktoken rank files, GPT-2's encoder.json + vocab.bpe. A tokenizer that loads also
// encodes and decodes a fixed text, so that what the loader accepted is exercised.
#include <filesystem>
#include <string>

#include "../fuzz_target.h"
#include "tokenizer/load.h"

namespace {

using namespace bytegrad;

void exercise(const tokenizer::Tokenizer& tok) {
  const std::string text = "Hello world, 123 <|endoftext|> caf\xc3\xa9 \xe4\xbd\xa0\xe5\xa5\xbd!\n  x";
  const auto ids = tok.encode(text);
  (void)tok.decode(ids);
}

}  // namespace

// Input: tokenizer.json [separator tokenizer_config.json].
BYTEGRAD_FUZZ_TARGET(tokenizer_json) {
  const auto parts = fuzz::split_parts(input, 2);
  const auto path = fuzz::write_scratch_file("hf/tokenizer.json", parts[0]);
  const auto config = fuzz::scratch_folder() / "hf/tokenizer_config.json";
  if (parts[1].empty()) std::filesystem::remove(config);
  else fuzz::write_scratch_file("hf/tokenizer_config.json", parts[1]);
  exercise(tokenizer::load_hf_tokenizer_json(path));
}

BYTEGRAD_FUZZ_TARGET(sentencepiece_model) {
  exercise(tokenizer::load_sentencepiece(fuzz::write_scratch_file("spm/tokenizer.model", input)));
}

BYTEGRAD_FUZZ_TARGET(tiktoken) {
  const auto path = fuzz::write_scratch_file("tiktoken/ranks.tiktoken", input);
  exercise(tokenizer::load_tiktoken(path, tokenizer::pattern_from_name("cl100k")));
}

// Input: encoder.json separator vocab.bpe.
BYTEGRAD_FUZZ_TARGET(gpt2_bpe) {
  const auto parts = fuzz::split_parts(input, 2);
  exercise(tokenizer::load_gpt2(fuzz::write_scratch_file("gpt2/encoder.json", parts[0]),
                                fuzz::write_scratch_file("gpt2/vocab.bpe", parts[1])));
}
