#include "tokenizer/base64.h"

namespace bytegrad::tokenizer {
namespace {

int sextet(char c) {
  if (c >= 'A' && c <= 'Z') return c - 'A';
  if (c >= 'a' && c <= 'z') return c - 'a' + 26;
  if (c >= '0' && c <= '9') return c - '0' + 52;
  if (c == '+') return 62;
  if (c == '/') return 63;
  return -1;
}

}  // namespace

std::optional<std::string> decode_base64(std::string_view text) {
  if (text.size() % 4 != 0) return std::nullopt;
  std::string out;
  out.reserve(text.size() / 4 * 3);
  for (std::size_t i = 0; i < text.size(); i += 4) {
    const bool last = i + 4 == text.size();
    const int padding = last ? (text[i + 3] == '=') + (text[i + 2] == '=') : 0;
    if (padding == 1 && text[i + 2] == '=') return std::nullopt;  // "x=y=" is malformed
    unsigned value = 0;
    for (int k = 0; k < 4 - padding; ++k) {
      const int s = sextet(text[i + k]);
      if (s < 0) return std::nullopt;
      value |= unsigned(s) << (18 - 6 * k);
    }
    out += char(value >> 16);
    if (padding < 2) out += char((value >> 8) & 0xFF);
    if (padding < 1) out += char(value & 0xFF);
  }
  return out;
}

}  // namespace bytegrad::tokenizer
