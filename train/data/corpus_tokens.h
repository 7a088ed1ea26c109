// A run's data made ready for training: the corpus read, its tokenizer loaded or trained, the
// documents encoded and packed with EOS into a training and a held-out stream (or the token
// shards mapped, the held-out stream a sub-range of them unless it has shards of its own).
#pragma once

#include <cstdint>
#include <filesystem>
#include <string>
#include <utility>

#include "tokenizer/tokenizer.h"
#include "train/run_config.h"
#include "train/data/text_corpus.h"
#include "train/data/token_stream.h"

namespace bytegrad::train {

// The end-of-text token a trained BPE gets, separating packed documents.
inline constexpr const char* kEndOfText = "<|endoftext|>";

struct CorpusTokens {
  tokenizer::Tokenizer tokenizer;
  int32_t eos;                  // the id that ends each packed document
  bool tokenizer_trained;       // true when a BPE was trained (written to output_dir/tokenizer.json)
  double tokenizer_seconds;     // time spent loading or training it
  std::size_t documents;
  std::size_t files;
  std::size_t text_bytes;
  TokenSource train;  // the training stream, read in place by TokenBatches
  TokenSource eval;   // the held-out stream; empty when nothing is held out
};

// Reads data.corpus, loads data.tokenizer or trains a byte-level BPE of data.bpe_vocab_size
// with kEndOfText, data.chat_template's markers and data.special_tokens (writing it to
// `output_dir`/tokenizer.json, which must exist), encodes the documents in parallel and packs
// them (held-out split shuffled by `seed`). Throws Error naming the tokenizer path when a
// loaded tokenizer has no EOS token.
CorpusTokens tokenize_corpus(const DataConfig& data, const std::filesystem::path& output_dir, uint64_t seed);

// The tokenizer a shard run uses: data.tokenizer, else the tokenizer.json `bytegrad prep` wrote
// beside the first shard. Empty for text runs that train their BPE.
std::filesystem::path shard_tokenizer_path(const DataConfig& data);

// Maps data.shards (and data.eval_shards) as `bytegrad prep` wrote them, with the tokenizer of
// shard_tokenizer_path. Without eval shards the last data.eval_fraction of the tokens is held
// out, starting after an EOS so that it begins with a whole document. `source` (the config
// file) names errors; files counts the shards, documents and text_bytes are 0.
CorpusTokens load_shard_tokens(const DataConfig& data, const std::string& source);

// Loads a tokenizer for training: it must have an EOS (or "<|endoftext|>") to separate
// documents. Throws Error naming the path otherwise.
std::pair<tokenizer::Tokenizer, int32_t> load_training_tokenizer(const std::filesystem::path& path);

}  // namespace bytegrad::train
