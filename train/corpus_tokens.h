// A run's data made ready for training: the corpus read, its tokenizer loaded or trained, the
// documents encoded and packed with EOS into a training and a held-out stream.
#pragma once

#include <cstdint>
#include <filesystem>

#include "tokenizer/tokenizer.h"
#include "train/run_config.h"
#include "train/text_corpus.h"
#include "train/token_stream.h"

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
  PackedTokens packed;
};

// Reads data.corpus, loads data.tokenizer or trains a byte-level BPE of data.bpe_vocab_size
// with kEndOfText (writing it to `output_dir`/tokenizer.json, which must exist), encodes the
// documents in parallel and packs them (held-out split shuffled by `seed`). Throws Error
// naming the tokenizer path when a loaded tokenizer has no EOS token.
CorpusTokens tokenize_corpus(const DataConfig& data, const std::filesystem::path& output_dir, uint64_t seed);

}  // namespace bytegrad::train
