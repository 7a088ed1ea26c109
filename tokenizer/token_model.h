// The interface between a Tokenizer and the algorithm that turns plain text into ids.
#pragma once

#include <cstddef>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "tokenizer/token_id.h"

namespace bytegrad::tokenizer {

// A vocabulary plus its encoding algorithm (byte-level BPE, SentencePiece BPE or unigram).
// It sees only text between special tokens; implementations are immutable after construction
// (apart from internally synchronised caches) and safe to call from several threads at once.
class TokenModel {
 public:
  virtual ~TokenModel() = default;

  // Appends the ids of `text` to `ids`.
  virtual void encode(std::string_view text, std::vector<TokenId>& ids) const = 0;

  // The same for one stretch of text between special tokens; `at_text_start` says it begins the
  // whole input, where a tokenizer.json Metaspace with prepend_scheme "first" adds its "▁".
  virtual void encode_segment(std::string_view text, bool at_text_start, std::vector<TokenId>& ids) const {
    (void)at_text_start;
    encode(text, ids);
  }

  // The text `ids` stand for. `at_text_start` says the ids begin the decoded text, where a
  // SentencePiece model drops the space its normaliser prepended.
  virtual std::string decode(std::span<const TokenId> ids, bool at_text_start) const = 0;

  // The vocabulary's own spelling of a token ("ĠHi", "▁Hi", "<0x0A>"); throws for unknown ids.
  virtual std::string piece(TokenId id) const = 0;

  // The id whose spelling is `piece`, if any.
  virtual std::optional<TokenId> find_piece(std::string_view piece) const = 0;

  // One past the largest id of the vocabulary.
  virtual std::size_t vocab_size() const = 0;
};

}  // namespace bytegrad::tokenizer
