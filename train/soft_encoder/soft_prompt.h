// Prompts with words that are not tokens: text between the markers "[[" and "]]" becomes one
// input position whose embedding the soft encoder computes from the word's bytes, the rest is
// encoded by the tokenizer as usual.
//
//   "The [[glorptastic]] cat"  ->  ids of "The ", one extra id (host vocab + 0), ids of " cat"
//
// The extra ids index rows appended after the host's table (nn/soft_embedding_lm.h), so the
// prompt runs through generation and the KV cache like any other. "[[" with no "]]" after it is
// plain text. A marked word keeps the space before it inside the marker's text: "A[[ word]]".
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "nn/soft_encoder.h"
#include "tokenizer/tokenizer.h"

namespace bytegrad::train {

struct SoftPrompt {
  std::vector<int64_t> ids;         // prompt ids; extra words as vocab_size + k
  std::vector<std::string> words;   // the k-th extra word's bytes
  Tensor rows;                      // [words, hidden]: the encoder's embeddings of the words
};

// Splits `text` at the markers, encodes the plain parts with `tokenizer` (BOS first when
// `add_special_tokens`) and the marked words with `encoder`. Throws Error naming the word when a
// marked word is empty or longer than the encoder's max_bytes.
SoftPrompt encode_soft_prompt(std::string_view text, const tokenizer::Tokenizer& tokenizer,
                              const nn::SoftByteEncoder& encoder, int64_t vocab_size, bool add_special_tokens);

}  // namespace bytegrad::train
