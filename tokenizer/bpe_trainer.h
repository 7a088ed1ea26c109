// Learning a byte-level BPE vocabulary from text, and writing it as a Hugging Face
// tokenizer.json that load_hf_tokenizer_json and Hugging Face's libraries both read.
#pragma once

#include <cstdint>
#include <filesystem>
#include <span>
#include <string>
#include <vector>

#include "tokenizer/byte_level_bpe.h"
#include "tokenizer/pretokenizer.h"

namespace bytegrad::tokenizer {

struct BpeTrainerOptions {
  // Total ids: 256 bytes + merges + special tokens. Training stops earlier when no pair occurs
  // at least `min_pair_count` times.
  std::size_t vocab_size = 32000;
  std::uint64_t min_pair_count = 2;
  PretokenizerPattern pattern = PretokenizerPattern::kGpt2;
  std::vector<std::string> special_tokens;  // appended after the learned tokens, e.g. "<|endoftext|>"
};

struct TrainedBpe {
  ByteLevelBpe::Vocabulary bytes_by_id;  // 256 single bytes (id = byte), then one token per merge
  ByteLevelBpe::MergeList merges;        // in learning order = priority
  PretokenizerPattern pattern;
  std::vector<std::string> special_tokens;  // ids follow bytes_by_id
};

// Counts the pre-tokenized pieces of `texts` and merges the most frequent adjacent pair until
// the vocabulary is full. Ties go to the pair whose ids are smallest, so results are
// deterministic. Throws std::invalid_argument when vocab_size is below 256 + specials.
TrainedBpe train_byte_level_bpe(std::span<const std::string> texts, const BpeTrainerOptions& options);

// Writes tokenizer.json (BPE model, ByteLevel or Split+ByteLevel pre-tokenizer, ByteLevel
// decoder, special tokens as added tokens). Throws std::runtime_error naming the path on failure.
void write_tokenizer_json(const TrainedBpe& trained, const std::filesystem::path& path);

}  // namespace bytegrad::tokenizer
