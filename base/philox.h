// Philox4x32-10, a counter-based random number generator (Salmon et al., "Parallel random
// numbers: as easy as 1, 2, 3", SC 2011). Output is a pure function of (key, counter), so any
// element of a random tensor can be computed independently, in any order, on any device: a CPU
// loop and a GPU thread draw the identical numbers for the same seed.
//
// bytegrad's stream layout: element i of a draw at generator offset `o` reads the 128-bit block
// at counter o + i/2 and uses its lanes (0,1) when i is even and (2,3) when i is odd. A draw of
// n elements therefore advances the generator by ceil(n/2) blocks.
#pragma once

#include <cmath>
#include <cstdint>

#include "base/host_device.h"


namespace bytegrad::philox {

struct Block {
  uint32_t lane[4];
};

BYTEGRAD_HOST_DEVICE inline Block generate(uint64_t key, uint64_t counter) {
  constexpr uint32_t kMul0 = 0xD2511F53u, kMul1 = 0xCD9E8D57u;
  constexpr uint32_t kWeyl0 = 0x9E3779B9u, kWeyl1 = 0xBB67AE85u;
  uint32_t c[4] = {uint32_t(counter), uint32_t(counter >> 32), 0u, 0u};
  uint32_t k[2] = {uint32_t(key), uint32_t(key >> 32)};
  for (int round = 0; round < 10; ++round) {
    const uint64_t p0 = uint64_t(kMul0) * c[0];
    const uint64_t p1 = uint64_t(kMul1) * c[2];
    const uint32_t next[4] = {uint32_t(p1 >> 32) ^ c[1] ^ k[0], uint32_t(p1),
                              uint32_t(p0 >> 32) ^ c[3] ^ k[1], uint32_t(p0)};
    c[0] = next[0]; c[1] = next[1]; c[2] = next[2]; c[3] = next[3];
    k[0] += kWeyl0;
    k[1] += kWeyl1;
  }
  return Block{{c[0], c[1], c[2], c[3]}};
}

// The 64 random bits of element `i` of a draw starting at block `offset`.
BYTEGRAD_HOST_DEVICE inline uint64_t bits64(uint64_t key, uint64_t offset, uint64_t i) {
  const Block b = generate(key, offset + i / 2);
  // Lanes 0 and 1 for even i, 2 and 3 for odd; chosen by value, not by a computed index, so that
  // a GPU keeps the block in registers rather than local memory.
  const bool odd = i % 2 != 0;
  return (uint64_t(odd ? b.lane[2] : b.lane[0]) << 32) | (odd ? b.lane[3] : b.lane[1]);
}

// Uniform in [0, 1) with 53 random bits.
BYTEGRAD_HOST_DEVICE inline double uniform(uint64_t key, uint64_t offset, uint64_t i) {
  return double(bits64(key, offset, i) >> 11) * 0x1.0p-53;
}

// Standard normal by Box-Muller: elements 2j and 2j+1 share block j's two uniforms and take
// the cosine and sine branch respectively.
BYTEGRAD_HOST_DEVICE inline double normal(uint64_t key, uint64_t offset, uint64_t i) {
  const Block b = generate(key, offset + i / 2);
  const double u1 = double((uint64_t(b.lane[0]) << 21) ^ b.lane[1]) * 0x1.0p-53;
  const double u2 = double((uint64_t(b.lane[2]) << 21) ^ b.lane[3]) * 0x1.0p-53;
  const double radius = std::sqrt(-2.0 * std::log(1.0 - u1));  // 1 - u1 is in (0, 1]
#if defined(__CUDA_ARCH__)
  // cospi/sinpi need no argument reduction, which for cos and sin of a double goes through
  // local memory on a GPU; they agree with the host's cos and sin of 2 pi u2 within an ulp.
  return radius * (i % 2 == 0 ? cospi(2.0 * u2) : sinpi(2.0 * u2));
#else
  const double angle = 6.283185307179586 * u2;
  return radius * (i % 2 == 0 ? std::cos(angle) : std::sin(angle));
#endif
}

// Uniform integer in [low, high): multiply-shift of 64 random bits (bias below 2^-40 for any
// range under 2^24, far below what sampling can detect).
BYTEGRAD_HOST_DEVICE inline int64_t integer(uint64_t key, uint64_t offset, uint64_t i,
                                            int64_t low, int64_t high) {
  const unsigned __int128 range = uint64_t(high - low);
  return low + int64_t((range * bits64(key, offset, i)) >> 64);
}

}  // namespace bytegrad::philox
