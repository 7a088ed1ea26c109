// Tokenizer: text <-> token ids, with special tokens, for any TokenModel.
//
//   Tokenizer tok = load_tokenizer("path/to/tokenizer.json");   // tokenizer/load.h
//   std::vector<TokenId> ids = tok.encode("Hello", {.add_special_tokens = true});
//   std::string text = tok.decode(ids, {.skip_special_tokens = true});
#pragma once

#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "tokenizer/special_tokens.h"
#include "tokenizer/token_model.h"

namespace bytegrad::tokenizer {

struct EncodeOptions {
  // Wrap the ids in the tokenizer's BOS/EOS template (Llama-2: BOS only). Never implicit.
  bool add_special_tokens = false;
  // Recognise special tokens written in the text ("<|eot_id|>" -> one id). When false they are
  // encoded as ordinary text, so user content cannot inject control tokens (tiktoken's
  // encode_ordinary); non-special added tokens are matched either way.
  bool parse_special = false;
};

struct DecodeOptions {
  bool skip_special_tokens = false;  // leave out special tokens' text
};

// The ids wrapped around an encoded text when add_special_tokens is set.
struct SpecialTokenTemplate {
  std::vector<TokenId> prefix;  // e.g. {BOS}
  std::vector<TokenId> suffix;  // e.g. {EOS} for tokenizers that append one
};

class Tokenizer {
 public:
  Tokenizer(std::shared_ptr<const TokenModel> model, std::vector<SpecialToken> special_tokens,
            SpecialTokenTemplate wrap, std::optional<TokenId> bos, std::optional<TokenId> eos,
            std::optional<TokenId> pad);

  std::vector<TokenId> encode(std::string_view text, EncodeOptions options = {}) const;

  // Encodes each text on its own, in parallel over the texts (OpenMP).
  std::vector<std::vector<TokenId>> encode_batch(std::span<const std::string> texts,
                                                 EncodeOptions options = {}) const;

  // The text of `ids`. Byte-level vocabularies round-trip exactly: decode(encode(s)) == s for any
  // bytes s. Throws std::out_of_range for an id outside the vocabulary.
  std::string decode(std::span<const TokenId> ids, DecodeOptions options = {}) const;

  // The vocabulary's spelling of one token ("ĠHi", "▁Hi", "<|eot_id|>").
  std::string id_to_piece(TokenId id) const;

  // The id of a piece spelled as id_to_piece spells it, or of a special token's text.
  std::optional<TokenId> piece_to_id(std::string_view piece) const;

  // The id of special token `text`; throws std::runtime_error naming it when it is absent.
  TokenId special_token_id(std::string_view text) const;

  bool is_special(TokenId id) const;

  std::optional<TokenId> bos_id() const { return bos_; }
  std::optional<TokenId> eos_id() const { return eos_; }
  std::optional<TokenId> pad_id() const { return pad_; }

  // One past the largest id, special tokens included.
  std::size_t vocab_size() const;

  const std::vector<SpecialToken>& special_tokens() const { return matcher_.tokens(); }
  const TokenModel& model() const { return *model_; }

  // Registers another special token (e.g. a chat marker mapped onto a reserved id).
  void add_special_token(SpecialToken token);

 private:
  const SpecialToken* find_special(TokenId id) const;

  std::shared_ptr<const TokenModel> model_;
  SpecialTokenMatcher matcher_;
  SpecialTokenTemplate wrap_;
  std::optional<TokenId> bos_, eos_, pad_;
};

}  // namespace bytegrad::tokenizer
