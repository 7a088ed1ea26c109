// SentencePiece models (.model files): normalisation, then BPE (merge the highest-scoring
// adjacent pair until none is a piece, as bpe_model.cc) or unigram (Viterbi best segmentation,
// as unigram_model.cc), with byte fallback for characters outside the vocabulary.
#pragma once

#include <array>
#include <string>
#include <vector>

#include "tokenizer/piece_trie.h"
#include "tokenizer/sentencepiece_normalizer.h"
#include "tokenizer/sentencepiece_proto.h"
#include "tokenizer/token_model.h"
#include "tokenizer/word_cache.h"

namespace bytegrad::tokenizer {

class SentencePieceModel final : public TokenModel {
 public:
  // Throws std::runtime_error naming `source` for models it cannot run (WORD/CHAR types, a
  // missing unknown piece, byte fallback without all 256 byte pieces).
  SentencePieceModel(SentencePieceProto proto, const std::string& source);

  void encode(std::string_view text, std::vector<TokenId>& ids) const override;
  void encode_segment(std::string_view text, bool at_text_start, std::vector<TokenId>& ids) const override;
  std::string decode(std::span<const TokenId> ids, bool at_text_start) const override;
  std::string piece(TokenId id) const override;
  std::optional<TokenId> find_piece(std::string_view piece) const override;
  std::size_t vocab_size() const override { return proto_.pieces.size(); }

  const SentencePieceProto& proto() const { return proto_; }

  // The normalised text the segmentation runs on ("▁Hello▁world").
  std::string normalize(std::string_view text, bool at_text_start = true) const {
    return normalizer_.normalize(text, at_text_start);
  }

 private:
  using PieceType = SentencePieceProto::PieceType;

  // Symbols of the normalised text before merging: user-defined pieces whole, else characters.
  std::size_t initial_symbol_length(std::string_view text) const;
  void encode_bpe(std::string_view normalized, std::vector<TokenId>& ids) const;
  // BPE of one stretch of normalised text that no merge can cross.
  void encode_bpe_word(std::string_view word, std::vector<TokenId>& ids) const;
  void encode_unigram(std::string_view normalized, std::vector<TokenId>& ids) const;
  // Emits a final segment: `id` when it is a piece (>= 0), else the segment's bytes (byte
  // fallback) or one unk for a whole run of unknown segments. Returns whether it was unknown.
  bool emit(std::string_view segment, TokenId id, bool after_unknown, std::vector<TokenId>& ids) const;
  // The id of a piece that segmentation may produce (normal, user-defined, unused); -1 if none.
  TokenId segment_id(std::string_view segment) const;

  SentencePieceProto proto_;
  SentencePieceNormalizer normalizer_;
  TokenIdMap segment_ids_;   // normal, user-defined and unused pieces
  TokenIdMap all_ids_;       // every piece, for find_piece
  PieceTrie segment_trie_;   // the pieces of segment_ids_ except unused ones, for Viterbi
  // True when no piece has "▁" after another character, so BPE can run word by word ("▁the",
  // "▁▁▁x") instead of on the whole sentence: merges never cross those boundaries.
  bool bpe_by_words_ = false;
  mutable WordCache bpe_words_;  // ids of words already encoded (only when bpe_by_words_)
  std::vector<std::string> user_defined_;  // longest first
  std::array<TokenId, 256> byte_ids_{};   // <0xXX> pieces, when byte fallback is on
  float min_score_ = 0;
  float max_score_ = 0;
};

}  // namespace bytegrad::tokenizer
