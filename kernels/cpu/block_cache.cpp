#include "kernels/cpu/block_cache.h"

#include <cstdlib>

#include "base/error.h"

namespace bytegrad::kernels::cpu {

// Large sizes round up to a multiple of 1/8 of their power of two, so a block is reused for
// requests up to 12.5% smaller, bounding the waste.
size_t BlockCache::rounded(size_t nbytes) {
  if (nbytes < kMinimumCachedBytes) return (nbytes + 63) / 64 * 64;
  size_t power = kMinimumCachedBytes;
  while (power * 2 <= nbytes) power *= 2;
  const size_t step = power / 8;
  return (nbytes + step - 1) / step * step;
}

void* BlockCache::allocate(size_t nbytes) {
  const size_t size = rounded(nbytes == 0 ? 1 : nbytes);
  if (size >= kMinimumCachedBytes) {
    std::lock_guard lock(mutex_);
    auto it = idle_.find(size);
    if (it != idle_.end() && !it->second.empty()) {
      void* ptr = it->second.back();
      it->second.pop_back();
      idle_bytes_ -= size;
      return ptr;
    }
  }
  // 64-byte alignment lets AVX-512 loads of a buffer's start be aligned.
  void* ptr = std::aligned_alloc(64, size);
  if (!ptr) {
    release_idle();
    ptr = std::aligned_alloc(64, size);
  }
  BYTEGRAD_CHECK(ptr != nullptr, "cpu: out of memory allocating ", nbytes, " bytes");
  return ptr;
}

void BlockCache::deallocate(void* ptr, size_t nbytes) {
  const size_t size = rounded(nbytes == 0 ? 1 : nbytes);
  if (size >= kMinimumCachedBytes) {
    std::lock_guard lock(mutex_);
    if (idle_bytes_ + size <= kMaximumIdleBytes) {
      idle_[size].push_back(ptr);
      idle_bytes_ += size;
      return;
    }
  }
  std::free(ptr);
}

void BlockCache::release_idle() {
  std::lock_guard lock(mutex_);
  for (auto& [size, blocks] : idle_)
    for (void* ptr : blocks) std::free(ptr);
  idle_.clear();
  idle_bytes_ = 0;
}

}  // namespace bytegrad::kernels::cpu
