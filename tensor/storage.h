// A block of device memory shared by a tensor and all views of it.
#pragma once

#include <cstddef>

#include "base/device.h"

namespace bytegrad {

class Storage {
 public:
  Storage(size_t nbytes, Device device);  // uninitialised memory from the device's backend
  ~Storage();
  Storage(const Storage&) = delete;
  Storage& operator=(const Storage&) = delete;

  void* data() const { return data_; }
  size_t nbytes() const { return nbytes_; }
  Device device() const { return device_; }

  // Gives the memory back while the Storage (and every tensor and autograd record viewing it)
  // lives on, and takes fresh, uninitialised memory of the same size again: a ZeRO-3 parameter
  // (train/zero3.h) exists whole only while its layer runs. A tensor on released storage is an
  // error wherever its data is reached (Tensor::data_ptr).
  void release();
  void allocate();  // nothing when resident
  bool resident() const { return data_ != nullptr || nbytes_ == 0; }

 private:
  void* data_;
  size_t nbytes_;
  Device device_;
};

}  // namespace bytegrad
