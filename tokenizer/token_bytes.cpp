#include "tokenizer/token_bytes.h"

#include <array>
#include <stdexcept>

namespace bytegrad::tokenizer {
namespace {

// Calls bytes_of(id) for each ordinary id; special ids keep their text, ids the vocabulary does
// not define (piece() throws for them) are marked unused.
template <typename BytesOf>
std::vector<TokenBytes> each_token(const Tokenizer& tokenizer, const BytesOf& bytes_of) {
  std::vector<TokenBytes> tokens(tokenizer.vocab_size());
  for (std::size_t id = 0; id < tokens.size(); ++id) {
    const TokenId token = TokenId(id);
    TokenBytes& entry = tokens[id];
    try {
      if (tokenizer.is_special(token)) {
        entry = {tokenizer.id_to_piece(token), true, false};
      } else {
        entry.bytes = bytes_of(token);
      }
    } catch (const std::out_of_range&) {
      entry = {"", false, true};
    } catch (const std::runtime_error&) {
      entry = {"", false, true};
    }
  }
  return tokens;
}

}  // namespace

std::vector<TokenBytes> true_token_bytes(const Tokenizer& tokenizer) {
  // The model's own decoder knows its alphabet (byte fallback, "▁", byte-level mapping);
  // decoding a lone id away from the text start keeps a leading space.
  return each_token(tokenizer, [&](TokenId id) {
    const std::array<TokenId, 1> ids{id};
    return tokenizer.model().decode(ids, /*at_text_start=*/false);
  });
}

std::vector<TokenBytes> raw_piece_bytes(const Tokenizer& tokenizer) {
  return each_token(tokenizer, [&](TokenId id) { return tokenizer.id_to_piece(id); });
}

}  // namespace bytegrad::tokenizer
