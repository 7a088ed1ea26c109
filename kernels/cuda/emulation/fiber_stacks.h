// Stacks for the fibers that run emulated CUDA threads, pooled per OS thread: a block of 1024
// threads needs 1024 stacks at once, and a training step launches thousands of blocks, so stacks
// are mapped once and reused rather than mapped and unmapped per launch. Each stack has an
// inaccessible guard page below it, so a kernel that overflows its stack faults at once instead
// of overwriting its neighbour's.
#pragma once

#include <cstddef>
#include <vector>

namespace bytegrad::kernels::cuda::emulation {

struct FiberStack {
  void* top = nullptr;  // the highest address (stacks grow down)
  size_t size = 0;      // usable bytes below `top`
};

class FiberStackPool {
 public:
  // The calling OS thread's pool (emulated blocks run on OpenMP threads, one pool each).
  static FiberStackPool& for_this_thread();

  FiberStackPool() = default;
  FiberStackPool(const FiberStackPool&) = delete;
  FiberStackPool& operator=(const FiberStackPool&) = delete;
  ~FiberStackPool();

  FiberStack take();                  // a free stack, mapped on first need
  void give_back(FiberStack stack);   // returns a stack for reuse
  size_t mapped() const { return mappings_.size(); }  // stacks mapped so far by this pool

  // 256 KiB per stack (1 MiB under AddressSanitizer, whose frames carry red zones): virtual
  // address space; only the pages a kernel touches become memory.
  static size_t stack_bytes();

 private:
  std::vector<FiberStack> free_;
  std::vector<void*> mappings_;  // each stack's mapping, guard page included
};

}  // namespace bytegrad::kernels::cuda::emulation
