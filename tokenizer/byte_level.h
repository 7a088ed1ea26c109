// GPT-2's reversible mapping of bytes to printable characters, in which byte-level BPE
// vocabularies (encoder.json, tokenizer.json) spell their tokens: printable ASCII and Latin-1
// stand for themselves, the other bytes map to U+0100 and up (a space is "Ġ", a newline "Ċ").
#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace bytegrad::tokenizer {

// The printable spelling (UTF-8) of raw bytes.
std::string bytes_to_byte_level(std::string_view bytes);

// The raw bytes a printable spelling stands for; nullopt when a character is not in the mapping.
std::optional<std::string> byte_level_to_bytes(std::string_view spelled);

}  // namespace bytegrad::tokenizer
