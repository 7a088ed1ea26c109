// 16-bit floating-point storage types. Arithmetic happens in float: these types only convert.
// bfloat16 keeps float32's exponent (8 bits) and 7 mantissa bits; float16 is IEEE binary16.
#pragma once

#include <bit>
#include <cstdint>

namespace bytegrad {

struct BFloat16 {
  uint16_t bits = 0;

  BFloat16() = default;
  explicit BFloat16(float value) : bits(round_to_bfloat16(value)) {}
  explicit operator float() const { return std::bit_cast<float>(uint32_t(bits) << 16); }

  // Round to nearest, ties to even; NaN stays a (quiet) NaN.
  static uint16_t round_to_bfloat16(float value) {
    const uint32_t u = std::bit_cast<uint32_t>(value);
    if ((u & 0x7fffffffu) > 0x7f800000u) return uint16_t((u >> 16) | 0x40);
    const uint32_t rounding_bias = 0x7fffu + ((u >> 16) & 1u);
    return uint16_t((u + rounding_bias) >> 16);
  }
};

struct Float16 {
  uint16_t bits = 0;

  Float16() = default;
  explicit Float16(float value) : bits(from_float(value)) {}
  explicit operator float() const { return to_float(bits); }

  static uint16_t from_float(float value) {
    const uint32_t u = std::bit_cast<uint32_t>(value);
    const uint32_t sign = (u >> 16) & 0x8000u;
    const uint32_t magnitude = u & 0x7fffffffu;
    if (magnitude > 0x7f800000u) return uint16_t(sign | 0x7e00u);           // NaN
    if (magnitude >= 0x477ff000u) return uint16_t(sign | 0x7c00u);          // overflow -> inf
    if (magnitude < 0x38800000u) {                                           // subnormal or zero
      // Scale into the subnormal range with float arithmetic, which rounds to nearest even.
      const float scaled = std::bit_cast<float>(magnitude) * 16777216.0f;  // 2^24
      return uint16_t(sign | uint32_t(__builtin_nearbyintf(scaled)));
    }
    // Normal: rebias the exponent (127 -> 15) and round the 13 dropped mantissa bits to even.
    const uint32_t rebiased = magnitude - 0x38000000u;
    const uint32_t rounded = rebiased + 0xfffu + ((rebiased >> 13) & 1u);
    return uint16_t(sign | (rounded >> 13));
  }

  static float to_float(uint16_t h) {
    const uint32_t sign = uint32_t(h & 0x8000u) << 16;
    const uint32_t exponent = (h >> 10) & 0x1fu;
    const uint32_t mantissa = h & 0x3ffu;
    if (exponent == 0) {  // zero or subnormal: mantissa * 2^-24
      const float value = float(mantissa) * 5.9604644775390625e-8f;
      return sign ? -value : value;
    }
    if (exponent == 31) return std::bit_cast<float>(sign | 0x7f800000u | (mantissa << 13));
    return std::bit_cast<float>(sign | ((exponent + 112u) << 23) | (mantissa << 13));
  }
};

}  // namespace bytegrad
