// Device scratch memory for one Backend call (partial sums, intermediate gradients): taken from
// the backend's caching allocator and handed back when the object goes out of scope. Handing it
// back while kernels that use it are still queued is safe: every kernel and copy of a device runs
// on its one stream in order, so whatever reuses the block runs after them.
#pragma once

#include <cstddef>

#include "kernels/cuda/cuda_backend.h"

namespace bytegrad::kernels::cuda {

template <typename T>
class Scratch {
 public:
  Scratch(CudaBackend& backend, size_t count)
      : backend_(backend), bytes_(count * sizeof(T)), data_(static_cast<T*>(backend.allocate(bytes_))) {}
  Scratch(const Scratch&) = delete;
  Scratch& operator=(const Scratch&) = delete;
  ~Scratch() { backend_.deallocate(data_, bytes_); }

  T* data() const { return data_; }
  size_t bytes() const { return bytes_; }

 private:
  CudaBackend& backend_;
  size_t bytes_;
  T* data_;
};

}  // namespace bytegrad::kernels::cuda
