// std::vector with its elements aligned to 64 bytes (a cache line, one AVX-512 register).
// Vectorised kernels, Eigen's products among them, handle the elements before the first aligned
// address separately: how many depends on where the buffer lies, and with it the order of
// summation and the last bits of a result. Buffers aligned alike give the same bits wherever
// they were allocated (a decode plan's step buffers; infer/llama_decode_plan.h).
#pragma once

#include <cstddef>
#include <cstdlib>
#include <new>
#include <vector>

namespace bytegrad::kernels::cpu {

template <typename T>
struct CacheLineAllocator {
  using value_type = T;
  static constexpr std::size_t kAlignment = 64;

  CacheLineAllocator() = default;
  template <typename U>
  CacheLineAllocator(const CacheLineAllocator<U>&) {}

  T* allocate(std::size_t n) {
    // aligned_alloc wants a size that is a multiple of the alignment.
    const std::size_t bytes = (n * sizeof(T) + kAlignment - 1) / kAlignment * kAlignment;
    void* memory = std::aligned_alloc(kAlignment, bytes == 0 ? kAlignment : bytes);
    if (!memory) throw std::bad_alloc();
    return static_cast<T*>(memory);
  }
  void deallocate(T* p, std::size_t) { std::free(p); }

  template <typename U>
  bool operator==(const CacheLineAllocator<U>&) const { return true; }
};

template <typename T>
using AlignedVector = std::vector<T, CacheLineAllocator<T>>;

}  // namespace bytegrad::kernels::cpu
