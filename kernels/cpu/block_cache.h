// A cache of freed large CPU blocks, reused by later allocations of the same rounded size.
// Fresh large allocations come from mmap and pay a page fault per 4 KiB page on first touch,
// which costs more than the op that fills them; a training step allocates the same sizes every
// iteration, so after the first step it runs without page faults.
//
// Freeing never allocates: idle blocks of one size class form a list linked through their own
// first bytes, with one list head per class in a fixed array. A Storage destroyed while an
// exception unwinds (an allocation that ran out of memory while building a model) therefore
// cannot fail and terminate the program.
#pragma once

#include <cstddef>
#include <array>
#include <mutex>

namespace bytegrad::kernels::cpu {

class BlockCache {
 public:
  // Blocks below this size come straight from malloc's own free lists.
  static constexpr size_t kMinimumCachedBytes = size_t(64) << 10;
  // Past this many idle cached bytes, freed blocks go back to the system.
  static constexpr size_t kMaximumIdleBytes = size_t(4) << 30;

  // Throws Error naming the size when the system has no memory for it.
  void* allocate(size_t nbytes);
  void deallocate(void* ptr, size_t nbytes) noexcept;
  // Returns every idle block to the system.
  void release_idle() noexcept;
  ~BlockCache() { release_idle(); }

 private:
  // Cached sizes are 2^k * (8 + j) / 8 for k >= 16 and j in [0, 8): one class per (k, j).
  static constexpr int kMinimumPower = 16;
  static constexpr int kClasses = (64 - kMinimumPower) * 8;
  static size_t rounded(size_t nbytes);
  static int size_class(size_t rounded_bytes);

  std::mutex mutex_;
  std::array<void*, kClasses> idle_{};  // per size class, the first idle block (each holds the next)
  size_t idle_bytes_ = 0;
};

}  // namespace bytegrad::kernels::cpu
