#include "train/corpus_tokens.h"

#include <chrono>

#include "base/error.h"
#include "tokenizer/bpe_trainer.h"
#include "tokenizer/load.h"

namespace bytegrad::train {
namespace {

// The config's tokenizer and its end-of-text id.
std::pair<tokenizer::Tokenizer, int32_t> corpus_tokenizer(const DataConfig& data, const TextCorpus& corpus,
                                                         const std::filesystem::path& output_dir) {
  if (!data.tokenizer.empty()) {
    tokenizer::Tokenizer tok = tokenizer::load_tokenizer(data.tokenizer);
    BYTEGRAD_CHECK(tok.eos_id().has_value(), "data.tokenizer '", data.tokenizer,
                   "' has no EOS token to separate documents");
    const int32_t eos = *tok.eos_id();
    return {std::move(tok), eos};
  }
  tokenizer::BpeTrainerOptions options;
  options.vocab_size = size_t(data.bpe_vocab_size);
  options.special_tokens = {kEndOfText};
  const std::filesystem::path path = output_dir / "tokenizer.json";
  tokenizer::write_tokenizer_json(tokenizer::train_byte_level_bpe(corpus.documents, options), path);
  tokenizer::Tokenizer tok = tokenizer::load_hf_tokenizer_json(path);
  const int32_t eos = tok.special_token_id(kEndOfText);
  return {std::move(tok), eos};
}

}  // namespace

CorpusTokens tokenize_corpus(const DataConfig& data, const std::filesystem::path& output_dir, uint64_t seed) {
  const TextCorpus corpus = read_text_corpus(data.corpus);
  const auto start = std::chrono::steady_clock::now();
  auto [tok, eos] = corpus_tokenizer(data, corpus, output_dir);
  const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  PackedTokens packed = pack_documents(tok.encode_batch(corpus.documents), eos, data.eval_fraction, seed);
  return {std::move(tok), eos, data.tokenizer.empty(), seconds, corpus.documents.size(), corpus.files.size(),
          corpus.bytes, std::move(packed)};
}

}  // namespace bytegrad::train
