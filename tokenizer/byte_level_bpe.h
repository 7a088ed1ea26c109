// Byte-level BPE: pre-tokenize with a pattern, then merge the bytes of each piece by priority.
// This is the algorithm of GPT-2, tiktoken (cl100k) and Llama-3.
#pragma once

#include <array>
#include <string>
#include <unordered_map>
#include <utility>
#include <vector>

#include "tokenizer/pretokenizer.h"
#include "tokenizer/token_model.h"

namespace bytegrad::tokenizer {

class ByteLevelBpe final : public TokenModel {
 public:
  // `bytes_by_id[id]` are the raw bytes of token `id`; an empty string marks an unused id.
  // Every one of the 256 single bytes must be a token. `source` names the file for errors.
  using Vocabulary = std::vector<std::string>;
  using MergeList = std::vector<std::pair<std::string, std::string>>;  // raw bytes of each side

  // tiktoken's rule: a token's id is its rank, and two adjacent parts merge when their
  // concatenation is a token, lowest rank first. A piece that is itself a token is one token.
  static ByteLevelBpe from_ranks(Vocabulary bytes_by_id, PretokenizerPattern pattern,
                                 const std::string& source);

  // GPT-2 / Hugging Face rule: merge i of the list has priority i. `whole_piece_lookup` is
  // tokenizer.json's "ignore_merges": a piece that is itself a token is taken as one.
  static ByteLevelBpe from_merges(Vocabulary bytes_by_id, const MergeList& merges,
                                  PretokenizerPattern pattern, bool whole_piece_lookup,
                                  const std::string& source);

  void encode(std::string_view text, std::vector<TokenId>& ids) const override;
  std::string decode(std::span<const TokenId> ids, bool at_text_start) const override;
  std::string piece(TokenId id) const override;
  std::optional<TokenId> find_piece(std::string_view piece) const override;
  std::size_t vocab_size() const override { return bytes_by_id_.size(); }

  PretokenizerPattern pattern() const { return pattern_; }

  // Raw bytes of token `id`; throws std::out_of_range for ids outside the vocabulary.
  const std::string& token_bytes(TokenId id) const;

 private:
  struct Merge {
    std::uint32_t rank;
    TokenId result;
  };

  ByteLevelBpe(Vocabulary bytes_by_id, PretokenizerPattern pattern, bool whole_piece_lookup,
               const std::string& source);
  void add_merge(TokenId left, TokenId right, Merge merge);
  const Merge* find_merge(TokenId left, TokenId right) const;
  void encode_piece(std::string_view piece, std::vector<TokenId>& ids) const;

  Vocabulary bytes_by_id_;
  TokenIdMap id_by_bytes_;
  std::array<TokenId, 256> byte_token_{};
  std::unordered_map<std::uint64_t, Merge> merges_;  // key: left id << 32 | right id
  PretokenizerPattern pattern_;
  bool whole_piece_lookup_;
};

}  // namespace bytegrad::tokenizer
