#include "train/data/corpus_tokens.h"

#include <algorithm>
#include <chrono>

#include "base/error.h"
#include "tokenizer/bpe_trainer.h"
#include "tokenizer/chat.h"
#include "tokenizer/load.h"
#include "train/data/token_shards.h"

namespace bytegrad::train {
namespace {

// The added tokens of a trained BPE: kEndOfText, the chat template's markers, then
// data.special_tokens, each once.
std::vector<std::string> trained_special_tokens(const DataConfig& data) {
  std::vector<std::string> tokens = {kEndOfText};
  if (!data.chat_template.empty())
    for (std::string& marker : tokenizer::chat_markers(tokenizer::chat_layout_from_name(data.chat_template)))
      tokens.push_back(std::move(marker));
  for (const std::string& token : data.special_tokens)
    if (std::find(tokens.begin(), tokens.end(), token) == tokens.end()) tokens.push_back(token);
  return tokens;
}

// The config's tokenizer and its end-of-text id.
std::pair<tokenizer::Tokenizer, int32_t> corpus_tokenizer(const DataConfig& data, const TextCorpus& corpus,
                                                         const std::filesystem::path& output_dir) {
  if (!data.tokenizer.empty()) return load_training_tokenizer(data.tokenizer);
  tokenizer::BpeTrainerOptions options;
  options.vocab_size = size_t(data.bpe_vocab_size);
  options.special_tokens = trained_special_tokens(data);
  const std::filesystem::path path = output_dir / "tokenizer.json";
  tokenizer::write_tokenizer_json(tokenizer::train_byte_level_bpe(corpus.documents, options), path);
  tokenizer::Tokenizer tok = tokenizer::load_hf_tokenizer_json(path);
  const int32_t eos = tok.special_token_id(kEndOfText);
  return {std::move(tok), eos};
}

}  // namespace

std::pair<tokenizer::Tokenizer, int32_t> load_training_tokenizer(const std::filesystem::path& path) {
  tokenizer::Tokenizer tok = tokenizer::load_tokenizer(path);
  std::optional<int32_t> eos = tok.eos_id();
  if (!eos) eos = tok.piece_to_id(kEndOfText);  // a trained BPE's, when no tokenizer_config.json names it
  BYTEGRAD_CHECK(eos.has_value(), "tokenizer '", path.string(), "' has no EOS token to separate documents");
  return {std::move(tok), *eos};
}

std::filesystem::path shard_tokenizer_path(const DataConfig& data) {
  if (!data.tokenizer.empty()) return data.tokenizer;
  if (data.shards.empty()) return {};
  const std::vector<std::string> shards = expand_shard_paths({data.shards.front()}, "data.shards");
  return std::filesystem::path(shards.front()).parent_path() / "tokenizer.json";
}

CorpusTokens load_shard_tokens(const DataConfig& data, const std::string& source) {
  const std::filesystem::path tokenizer_path = shard_tokenizer_path(data);
  BYTEGRAD_CHECK(std::filesystem::exists(tokenizer_path), source, ": no tokenizer for the shards: ",
                 tokenizer_path.string(), " does not exist (give \"data.tokenizer\")");
  const auto start = std::chrono::steady_clock::now();
  auto [tok, eos] = load_training_tokenizer(tokenizer_path);
  const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  const std::vector<std::string> train_paths = expand_shard_paths(data.shards, source);
  TokenSource train = TokenSource::from_shards(train_paths), eval;
  size_t files = train_paths.size();
  if (!data.eval_shards.empty()) {
    const std::vector<std::string> eval_paths = expand_shard_paths(data.eval_shards, source);
    eval = TokenSource::from_shards(eval_paths);
    files += eval_paths.size();
  } else if (data.eval_fraction > 0) {
    int64_t split = int64_t(double(train.size()) * (1 - data.eval_fraction));
    const int64_t eos_at = train.find(eos, split);
    if (eos_at < train.size()) split = eos_at + 1;
    eval = train.slice(split, train.size());
    train = train.slice(0, split);
  }
  for (const TokenSource* part : {&train, &eval})
    part->for_each_chunk([&, vocab_size = tok.vocab_size()](std::span<const int64_t> ids) {
      for (int64_t id : ids)
        BYTEGRAD_CHECK(uint64_t(id) < vocab_size, source, ": a shard holds token ", id,
                       ", outside the tokenizer's ", vocab_size, " ids (", tokenizer_path.string(), ")");
    });
  return {std::move(tok), eos, false, seconds, 0, files, 0, std::move(train), std::move(eval)};
}

CorpusTokens tokenize_corpus(const DataConfig& data, const std::filesystem::path& output_dir, uint64_t seed) {
  const TextCorpus corpus = read_text_corpus(data.corpus);
  const auto start = std::chrono::steady_clock::now();
  auto [tok, eos] = corpus_tokenizer(data, corpus, output_dir);
  const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  PackedTokens packed = pack_documents(tok.encode_batch(corpus.documents), eos, data.eval_fraction, seed);
  return {std::move(tok), eos, data.tokenizer.empty(), seconds, corpus.documents.size(), corpus.files.size(),
          corpus.bytes, std::move(packed.train), std::move(packed.eval)};
}

}  // namespace bytegrad::train
