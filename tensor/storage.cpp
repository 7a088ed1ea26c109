#include "tensor/storage.h"

#include "kernels/backend.h"

namespace bytegrad {

Storage::Storage(size_t nbytes, Device device)
    : data_(kernels::backend_for(device).allocate(nbytes)), nbytes_(nbytes), device_(device) {}

Storage::~Storage() {
  if (data_ != nullptr) kernels::backend_for(device_).deallocate(data_, nbytes_);
}

void Storage::release() {
  if (data_ == nullptr) return;
  kernels::backend_for(device_).deallocate(data_, nbytes_);
  data_ = nullptr;
}

void Storage::allocate() {
  if (!resident()) data_ = kernels::backend_for(device_).allocate(nbytes_);
}

}  // namespace bytegrad
