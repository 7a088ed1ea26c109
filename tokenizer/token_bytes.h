// Each token's true bytes: the UTF-8 text a token stands for, as the soft byte-to-token encoder
// reads it. A vocabulary spells its tokens in its own alphabet: SentencePiece writes a space as
// "▁" and a byte-fallback byte as the six characters "<0x0A>", byte-level BPE maps each byte to a
// printable character ("Ġ" for a space). The true bytes undo those spellings, whatever the
// tokenizer's kind (SentencePiece .model, tokenizer.json, tiktoken, GPT-2's files):
//   "▁the" -> " the", "<0x0A>" -> "\n", "Ġthe" -> " the", "Ċ" -> "\n".
// Special tokens keep their text and are marked, so a caller can leave them out or frame them.
#pragma once

#include <string>
#include <vector>

#include "tokenizer/tokenizer.h"

namespace bytegrad::tokenizer {

struct TokenBytes {
  std::string bytes;     // the token's bytes (not necessarily valid UTF-8: a byte-level token
                         // may be part of a character); a special token's text
  bool special = false;  // a special (control) token, e.g. "<s>", "<|endoftext|>"
  bool unused = false;   // an id the vocabulary does not define (a gap in a tiktoken file)
};

// One entry per id 0 .. vocab_size()-1. Each ordinary token's bytes are its decoding on its
// own, not at the start of a text (so SentencePiece keeps the space of a leading "▁").
std::vector<TokenBytes> true_token_bytes(const Tokenizer& tokenizer);

// The vocabulary's raw spellings (id_to_piece) as bytes, "▁" and "<0x0A>" as they are written:
// what the original soft tokenizer fed its encoder, kept for comparison.
std::vector<TokenBytes> raw_piece_bytes(const Tokenizer& tokenizer);

}  // namespace bytegrad::tokenizer
