// Device memory for the CUDA suites (tests/cuda/<suite>/): an array of one dtype in memory from
// cudaMalloc, filled from and read back as doubles, with the conversions done on the host
// (base/dtype.h) so that they are independent of the code under test. The same source runs on a
// GPU and in the emulated build, where cudaMalloc is the checked stand-in runtime's.
#pragma once

#include <cuda_runtime_api.h>
#include <doctest/doctest.h>

#include <algorithm>
#include <cstddef>
#include <vector>

#include "base/dtype.h"
#include "kernels/backend.h"

namespace bytegrad::testing {

// Whether this process sees a CUDA device; a GPU build on a machine without one skips the suite.
inline bool have_cuda_device() {
  if (kernels::device_count(DeviceKind::CUDA) > 0) return true;
  MESSAGE("no CUDA device: skipped");
  return false;
}

// `values` stored as `dtype` (rounded by the host's conversion).
inline std::vector<std::byte> to_bytes(DType dtype, const std::vector<double>& values) {
  std::vector<std::byte> bytes(values.size() * dtype_size(dtype));
  visit_dtype(dtype, [&]<typename T>() {
    for (size_t i = 0; i < values.size(); ++i)
      reinterpret_cast<T*>(bytes.data())[i] = convert<T>(values[i]);
  });
  return bytes;
}

inline std::vector<double> from_bytes(DType dtype, const std::vector<std::byte>& bytes) {
  std::vector<double> values(bytes.size() / dtype_size(dtype));
  visit_dtype(dtype, [&]<typename T>() {
    for (size_t i = 0; i < values.size(); ++i)
      values[i] = convert<double>(reinterpret_cast<const T*>(bytes.data())[i]);
  });
  return values;
}

class DeviceArray {
 public:
  DeviceArray(DType dtype, const std::vector<double>& values)
      : dtype_(dtype), count_(values.size()) {
    REQUIRE(cudaMalloc(&data_, std::max<size_t>(bytes(), 1)) == cudaSuccess);
    const std::vector<std::byte> host = to_bytes(dtype, values);
    REQUIRE(cudaMemcpy(data_, host.data(), bytes(), cudaMemcpyHostToDevice) == cudaSuccess);
  }
  DeviceArray(const DeviceArray&) = delete;
  DeviceArray& operator=(const DeviceArray&) = delete;
  ~DeviceArray() { cudaFree(data_); }

  void* data() const { return data_; }
  template <typename T> T* as() const { return static_cast<T*>(data_); }
  size_t size() const { return count_; }
  std::vector<double> download() const {
    std::vector<std::byte> host(bytes());
    REQUIRE(cudaMemcpy(host.data(), data_, bytes(), cudaMemcpyDeviceToHost) == cudaSuccess);
    return from_bytes(dtype_, host);
  }

 private:
  size_t bytes() const { return count_ * dtype_size(dtype_); }
  DType dtype_;
  size_t count_;
  void* data_ = nullptr;
};

}  // namespace bytegrad::testing
