// MD5 (RFC 1321), which T-Free uses to pick the embedding rows of a trigram. Not for security.
#pragma once

#include <array>
#include <cstdint>
#include <string>
#include <string_view>

namespace bytegrad::tokenizer {

using Md5Digest = std::array<uint8_t, 16>;

// The 16-byte MD5 digest of `data`.
Md5Digest md5(std::string_view data);

// The digest as 32 lowercase hex digits, as Python's hashlib.md5(...).hexdigest().
std::string md5_hex(std::string_view data);

// The digest read as one 128-bit big-endian integer (Python's int(hexdigest, 16)), modulo
// `modulus` (1 <= modulus < 2^48).
uint64_t md5_mod(std::string_view data, uint64_t modulus);

}  // namespace bytegrad::tokenizer
