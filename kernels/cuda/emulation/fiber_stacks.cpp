#include "kernels/cuda/emulation/fiber_stacks.h"

#include <sys/mman.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "base/error.h"

namespace bytegrad::kernels::cuda::emulation {

size_t FiberStackPool::stack_bytes() {
#if defined(__SANITIZE_ADDRESS__)
  return size_t(1) << 20;
#else
  return size_t(256) << 10;
#endif
}

FiberStackPool& FiberStackPool::for_this_thread() {
  thread_local FiberStackPool pool;
  return pool;
}

FiberStackPool::~FiberStackPool() {
  const size_t page = size_t(sysconf(_SC_PAGESIZE));
  for (void* mapping : mappings_) munmap(mapping, stack_bytes() + page);
}

FiberStack FiberStackPool::take() {
  if (!free_.empty()) {
    const FiberStack stack = free_.back();
    free_.pop_back();
    return stack;
  }
  const size_t page = size_t(sysconf(_SC_PAGESIZE));
  const size_t bytes = stack_bytes() + page;
  void* mapping = mmap(nullptr, bytes, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
  if (mapping == MAP_FAILED)
    throw Error(concat("emulated CUDA: cannot map a ", bytes >> 10, " KiB fiber stack for a CUDA thread (",
                       std::strerror(errno), "); ", mappings_.size(), " stacks are mapped already"));
  mappings_.push_back(mapping);
  if (mprotect(mapping, page, PROT_NONE) != 0)
    throw Error(concat("emulated CUDA: cannot protect a fiber stack's guard page (", std::strerror(errno), ")"));
  return FiberStack{static_cast<char*>(mapping) + bytes, stack_bytes()};
}

void FiberStackPool::give_back(FiberStack stack) { free_.push_back(stack); }

}  // namespace bytegrad::kernels::cuda::emulation
