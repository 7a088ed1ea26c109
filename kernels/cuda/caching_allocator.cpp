#include "kernels/cuda/caching_allocator.h"

#include <cuda_runtime_api.h>

#include <bit>

#include "base/error.h"
#include "kernels/cuda/cuda_check.h"

// Poisoning is for emulated device memory, which is host memory that AddressSanitizer watches.
#if defined(BYTEGRAD_CUDA_EMULATION) && defined(__SANITIZE_ADDRESS__)
#include <sanitizer/asan_interface.h>
#define BYTEGRAD_POISON(pointer, bytes) ASAN_POISON_MEMORY_REGION(pointer, bytes)
#define BYTEGRAD_UNPOISON(pointer, bytes) ASAN_UNPOISON_MEMORY_REGION(pointer, bytes)
#else
#define BYTEGRAD_POISON(pointer, bytes) ((void)(pointer), (void)(bytes))
#define BYTEGRAD_UNPOISON(pointer, bytes) ((void)(pointer), (void)(bytes))
#endif

namespace bytegrad::kernels::cuda {

size_t CachingAllocator::size_class(size_t nbytes) {
  if (nbytes <= 512) return 512;
  const size_t power = std::bit_floor(nbytes);
  const size_t step = power / 4;
  return (nbytes + step - 1) / step * step;
}

void* CachingAllocator::allocate_from_device(size_t bytes) {
  BYTEGRAD_CUDA_CHECK(cudaSetDevice(device_));
  void* pointer = nullptr;
  cudaError_t status = cudaMalloc(&pointer, bytes);
  if (status == cudaErrorMemoryAllocation) {
    cudaGetLastError();
    release_cached();  // caller holds the mutex; release_cached does not lock
    status = cudaMalloc(&pointer, bytes);
  }
  if (status != cudaSuccess) {
    cudaGetLastError();
    throw Error(concat("cuda:", device_, ": out of memory allocating ", bytes, " bytes (", statistics_.live_bytes,
                       " bytes in use by tensors; the cache held none after being freed): ", cudaGetErrorString(status)));
  }
  ++statistics_.device_allocations;
  return pointer;
}

void* CachingAllocator::allocate(size_t nbytes) {
  const size_t bytes = size_class(nbytes);
  std::lock_guard lock(mutex_);
  void* pointer = nullptr;
  auto it = free_.find(bytes);
  if (it != free_.end() && !it->second.empty()) {
    pointer = it->second.back();
    it->second.pop_back();
    --statistics_.cached_blocks;
    statistics_.cached_bytes -= bytes;
  } else {
    pointer = allocate_from_device(bytes);
  }
  live_[pointer] = bytes;
  ++statistics_.live_blocks;
  statistics_.live_bytes += bytes;
  BYTEGRAD_UNPOISON(pointer, nbytes);
  BYTEGRAD_POISON(static_cast<char*>(pointer) + nbytes, bytes - nbytes);
  return pointer;
}

void CachingAllocator::deallocate(void* pointer, size_t nbytes) {
  std::lock_guard lock(mutex_);
  auto it = live_.find(pointer);
  BYTEGRAD_CHECK(it != live_.end(), "cuda:", device_, ": deallocate of ", pointer, " (", nbytes,
                 " bytes), which this device's allocator did not hand out or has taken back already");
  const size_t bytes = it->second;
  BYTEGRAD_CHECK(bytes == size_class(nbytes), "cuda:", device_, ": deallocate of ", pointer, " as ", nbytes,
                 " bytes, but it was allocated in the ", bytes, "-byte size class");
  live_.erase(it);
  --statistics_.live_blocks;
  statistics_.live_bytes -= bytes;
  BYTEGRAD_POISON(pointer, bytes);
  free_[bytes].push_back(pointer);
  ++statistics_.cached_blocks;
  statistics_.cached_bytes += bytes;
}

void CachingAllocator::release_cached() {
  for (auto& [bytes, blocks] : free_) {
    for (void* pointer : blocks) {
      BYTEGRAD_UNPOISON(pointer, bytes);
      cudaFree(pointer);
    }
    statistics_.cached_blocks -= blocks.size();
    statistics_.cached_bytes -= bytes * blocks.size();
    blocks.clear();
  }
}

CachingAllocator::Statistics CachingAllocator::statistics() const {
  std::lock_guard lock(mutex_);
  return statistics_;
}

}  // namespace bytegrad::kernels::cuda
