// The random stream: a seed and a position in the Philox counter space (base/philox.h).
// Each draw of n elements takes the next ceil(n/2) blocks, so a sequence of draws from a seed
// is reproducible on any device.
#pragma once

#include <cstdint>

namespace bytegrad {

class Generator {
 public:
  explicit Generator(uint64_t seed = 0) : seed_(seed) {}

  uint64_t seed() const { return seed_; }
  uint64_t offset() const { return offset_; }
  void set_state(uint64_t seed, uint64_t offset) { seed_ = seed; offset_ = offset; }

  // Reserves the blocks for `elements` draws and returns the offset they start at.
  uint64_t advance(int64_t elements) {
    const uint64_t start = offset_;
    offset_ += (uint64_t(elements) + 1) / 2;
    return start;
  }

 private:
  uint64_t seed_;
  uint64_t offset_ = 0;
};

// The process-wide generator used when an op is given none.
Generator& default_generator();
void manual_seed(uint64_t seed);

}  // namespace bytegrad
