// Standard base64 (RFC 4648) decoding, for tiktoken rank files.
#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace bytegrad::tokenizer {

// The decoded bytes, or nullopt when `text` is not valid padded base64.
std::optional<std::string> decode_base64(std::string_view text);

}  // namespace bytegrad::tokenizer
