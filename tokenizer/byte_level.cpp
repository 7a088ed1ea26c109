#include "tokenizer/byte_level.h"

#include <array>

#include "tokenizer/utf8.h"

namespace bytegrad::tokenizer {
namespace {

// bytes_to_unicode() of GPT-2's encoder.py: bytes that are printable keep their code point, the
// rest are numbered 256, 257, ... in byte order.
const std::array<char32_t, 256>& byte_to_code_point() {
  static const std::array<char32_t, 256> table = [] {
    std::array<char32_t, 256> t{};
    const auto printable = [](int b) {
      return (b >= '!' && b <= '~') || (b >= 0xA1 && b <= 0xAC) || (b >= 0xAE && b <= 0xFF);
    };
    char32_t next = 256;
    for (int b = 0; b < 256; ++b) t[b] = printable(b) ? char32_t(b) : next++;
    return t;
  }();
  return table;
}

// Inverse of byte_to_code_point over the 324 code points it uses; -1 marks unused ones.
const std::array<int, 324>& code_point_to_byte() {
  static const std::array<int, 324> table = [] {
    std::array<int, 324> t;
    t.fill(-1);
    for (int b = 0; b < 256; ++b) t[byte_to_code_point()[b]] = b;
    return t;
  }();
  return table;
}

}  // namespace

std::string bytes_to_byte_level(std::string_view bytes) {
  std::string out;
  out.reserve(bytes.size() * 2);
  for (unsigned char b : bytes) append_utf8(byte_to_code_point()[b], out);
  return out;
}

std::optional<std::string> byte_level_to_bytes(std::string_view spelled) {
  std::string out;
  out.reserve(spelled.size());
  for (std::size_t pos = 0; pos < spelled.size();) {
    const Utf8Char c = decode_utf8(spelled, pos);
    if (c.code_point >= code_point_to_byte().size()) return std::nullopt;
    const int b = code_point_to_byte()[c.code_point];
    if (b < 0) return std::nullopt;
    out += char(b);
    pos += c.length;
  }
  return out;
}

}  // namespace bytegrad::tokenizer
