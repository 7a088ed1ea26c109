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

 private:
  void* data_;
  size_t nbytes_;
  Device device_;
};

}  // namespace bytegrad
