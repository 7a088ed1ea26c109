// Text of tokens as they are generated, for streaming to a terminal. A token may end in the
// middle of a multi-byte UTF-8 character (byte-level BPE splits characters across tokens), so
// only whole characters are released; the rest waits for the next token.
//
//   TextStream stream(tokenizer);
//   options.on_token = [&](int64_t, int64_t token) { std::cout << stream.push(token) << std::flush; };
//   ... generate ...
//   std::cout << stream.finish();
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "tokenizer/tokenizer.h"

namespace bytegrad::infer {

class TextStream {
 public:
  // `tokenizer` must outlive the stream. Special tokens are decoded as `options` says.
  explicit TextStream(const tokenizer::Tokenizer& tokenizer,
                      tokenizer::DecodeOptions options = {.skip_special_tokens = true});

  // Adds one token and returns the text that became complete with it (possibly empty). The
  // pieces returned so far, joined, are always a prefix of decode(all tokens).
  std::string push(int64_t token);

  // The text not yet returned, complete characters or not: call once generation has ended.
  std::string finish();

 private:
  const tokenizer::Tokenizer& tokenizer_;
  tokenizer::DecodeOptions options_;
  std::vector<tokenizer::TokenId> tokens_;
  std::size_t released_ = 0;  // bytes of the decoded text already returned
};

// The length of the longest prefix of `text` that does not end inside a UTF-8 character: a
// trailing lead byte whose continuation bytes have not all arrived is held back. Bytes that
// cannot start a character count as complete.
std::size_t complete_utf8_prefix(const std::string& text);

}  // namespace bytegrad::infer
