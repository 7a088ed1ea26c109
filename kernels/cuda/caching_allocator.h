// Device memory for tensors, cached: a freed block goes onto a free list of its size class and
// the next request of that class takes it back, so that a training loop, which frees and
// allocates the same sizes every step, stops calling cudaMalloc (which synchronises the device
// and costs far more than a kernel) once its first step has run.
//
// Size classes: requests up to 512 bytes take 512; larger ones round up to a quarter of their
// power of two (at most 25% more than asked). Blocks are never split or merged, and the cache is
// returned to the device only when cudaMalloc fails (then the request is retried).
//
// In the emulated build under AddressSanitizer, a block's bytes past the request and every cached
// block are poisoned, so a kernel reading past its tensor or through a freed one is reported as
// it would be without the cache.
#pragma once

#include <cstddef>
#include <mutex>
#include <unordered_map>
#include <vector>

namespace bytegrad::kernels::cuda {

class CachingAllocator {
 public:
  explicit CachingAllocator(int device) : device_(device) {}
  CachingAllocator(const CachingAllocator&) = delete;
  CachingAllocator& operator=(const CachingAllocator&) = delete;

  // A block of at least nbytes (0 allowed) of device memory; throws Error when the device has
  // no more, naming the request and what the cache held.
  void* allocate(size_t nbytes);
  // Returns a block from allocate(nbytes) to the cache; throws Error for a pointer it did not give.
  void deallocate(void* pointer, size_t nbytes);
  // Frees every cached block back to the device.
  void release_cached();

  static size_t size_class(size_t nbytes);

  struct Statistics {
    size_t device_allocations = 0;  // cudaMalloc calls so far
    size_t live_blocks = 0, cached_blocks = 0;
    size_t live_bytes = 0, cached_bytes = 0;  // by size class
  };
  Statistics statistics() const;

 private:
  void* allocate_from_device(size_t bytes);

  int device_;
  mutable std::mutex mutex_;
  std::unordered_map<size_t, std::vector<void*>> free_;  // size class -> cached blocks
  std::unordered_map<void*, size_t> live_;               // block -> its size class
  Statistics statistics_;
};

}  // namespace bytegrad::kernels::cuda
