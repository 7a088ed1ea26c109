#include "tensor/storage.h"

#include "kernels/backend.h"

namespace bytegrad {

Storage::Storage(size_t nbytes, Device device)
    : data_(kernels::backend_for(device).allocate(nbytes)), nbytes_(nbytes), device_(device) {}

Storage::~Storage() { kernels::backend_for(device_).deallocate(data_, nbytes_); }

}  // namespace bytegrad
