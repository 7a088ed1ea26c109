// A cache of freed large CPU blocks, reused by later allocations of the same rounded size.
// Fresh large allocations come from mmap and pay a page fault per 4 KiB page on first touch,
// which costs more than the op that fills them; a training step allocates the same sizes every
// iteration, so after the first step it runs without page faults.
#pragma once

#include <cstddef>
#include <map>
#include <mutex>
#include <vector>

namespace bytegrad::kernels::cpu {

class BlockCache {
 public:
  // Blocks below this size come straight from malloc's own free lists.
  static constexpr size_t kMinimumCachedBytes = size_t(64) << 10;
  // Past this many idle cached bytes, freed blocks go back to the system.
  static constexpr size_t kMaximumIdleBytes = size_t(4) << 30;

  void* allocate(size_t nbytes);
  void deallocate(void* ptr, size_t nbytes);
  // Returns every idle block to the system.
  void release_idle();
  ~BlockCache() { release_idle(); }

 private:
  static size_t rounded(size_t nbytes);
  std::mutex mutex_;
  std::map<size_t, std::vector<void*>> idle_;  // rounded size -> free blocks
  size_t idle_bytes_ = 0;
};

}  // namespace bytegrad::kernels::cpu
