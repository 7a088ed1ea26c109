#include "infer/text_stream.h"

namespace bytegrad::infer {
namespace {

bool is_continuation(unsigned char byte) { return (byte & 0xC0) == 0x80; }

// The bytes of the character a lead byte starts (0 when it starts none).
std::size_t sequence_length(unsigned char lead) {
  if (lead < 0x80) return 1;
  if ((lead & 0xE0) == 0xC0) return 2;
  if ((lead & 0xF0) == 0xE0) return 3;
  if ((lead & 0xF8) == 0xF0) return 4;
  return 0;
}

}  // namespace

std::size_t complete_utf8_prefix(const std::string& text) {
  // Walk back over at most three continuation bytes to the last character's lead byte.
  std::size_t lead = text.size();
  for (int back = 0; back < 4 && lead > 0; ++back) {
    --lead;
    if (!is_continuation(static_cast<unsigned char>(text[lead]))) {
      const std::size_t needed = sequence_length(static_cast<unsigned char>(text[lead]));
      return needed > text.size() - lead ? lead : text.size();
    }
  }
  return text.size();
}

TextStream::TextStream(const tokenizer::Tokenizer& tokenizer, tokenizer::DecodeOptions options)
    : tokenizer_(tokenizer), options_(options) {}

std::string TextStream::push(int64_t token) {
  tokens_.push_back(tokenizer::TokenId(token));
  const std::string text = tokenizer_.decode(tokens_, options_);
  const std::size_t complete = complete_utf8_prefix(text);
  if (complete <= released_) return "";
  std::string piece = text.substr(released_, complete - released_);
  released_ = complete;
  return piece;
}

std::string TextStream::finish() {
  const std::string text = tokenizer_.decode(tokens_, options_);
  std::string rest = released_ < text.size() ? text.substr(released_) : "";
  released_ = text.size();
  return rest;
}

}  // namespace bytegrad::infer
