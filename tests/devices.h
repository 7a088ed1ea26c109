// The devices a test runs its specification on: the CPU, then every CUDA device this process can
// see (none in a build without the CUDA backend). An op test written once over `test_devices()`
// checks the CPU, the emulated CUDA backend and a real GPU alike, and a failure names the device.
#pragma once

#include <doctest/doctest.h>

#include <algorithm>
#include <numeric>
#include <vector>

#include "bytegrad.h"
#include "kernels/backend.h"

namespace bytegrad::testing {

inline std::vector<Device> test_devices() {
  std::vector<Device> devices{kCPU};
  const int gpus = kernels::device_count(DeviceKind::CUDA);
  for (int index = 0; index < gpus; ++index) devices.push_back(Device{DeviceKind::CUDA, index});
  return devices;
}

// Runs body(device) once per test device, each in a doctest subcase named after the device.
template <typename Body>
void for_each_device(Body&& body) {
  for (const Device& device : test_devices()) {
    const std::string name = device.str();
    SUBCASE(name.c_str()) {
      CAPTURE(device);
      body(device);
    }
  }
}

// x copied to `device` with its memory layout kept: a transposed view arrives as a transposed
// view, so kernels see the same strides on every device. (The copy itself is dense in x's
// stride order; steps and broadcasts become dense.) Differentiable, like `to`.
inline Tensor to_device_keeping_layout(const Tensor& x, Device device) {
  if (x.device() == device) return x;
  std::vector<int64_t> order(size_t(x.dim()));
  std::iota(order.begin(), order.end(), int64_t(0));
  std::stable_sort(order.begin(), order.end(), [&](int64_t a, int64_t b) {
    return x.strides()[size_t(a)] > x.strides()[size_t(b)];
  });
  std::vector<int64_t> inverse(order.size());
  for (size_t i = 0; i < order.size(); ++i) inverse[size_t(order[i])] = int64_t(i);
  return permute(to(permute(x, order), device), inverse);
}

}  // namespace bytegrad::testing
