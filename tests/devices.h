// The devices a test runs its specification on: the CPU, then every CUDA device this process can
// see (none in a build without the CUDA backend). An op test written once over `test_devices()`
// checks the CPU, the emulated CUDA backend and a real GPU alike, and a failure names the device.
//
// BYTEGRAD_TEST_DEVICES=cpu or =cuda keeps only that kind: the emulated build's ctest runs each
// device-parametrised suite twice, as `tensor` (the CPU) and `cuda_tensor` (the CUDA devices, and
// only the test files that use for_each_device), so the CUDA cases add no CPU time.
#pragma once

#include <doctest/doctest.h>

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <numeric>
#include <string>
#include <vector>

#include "bytegrad.h"
#include "kernels/backend.h"
#include "kernels/not_yet_implemented.h"

namespace bytegrad::testing {

inline std::vector<Device> test_devices() {
  const char* only = std::getenv("BYTEGRAD_TEST_DEVICES");
  const std::string kind = only ? only : "";
  std::vector<Device> devices;
  if (kind != "cuda") devices.push_back(kCPU);
  if (kind == "cpu") return devices;
  const int gpus = kernels::device_count(DeviceKind::CUDA);
  for (int index = 0; index < gpus; ++index) devices.push_back(Device{DeviceKind::CUDA, index});
  return devices;
}

// Runs body(device) once per test device, each in a doctest subcase named after the device.
// A backend method that a CUDA device does not implement yet ends that device's run of the body
// with a line on the test's output ("skipped: cuda:0: ..."), not a failure; on the CPU, whose
// backend implements every method, it fails.
template <typename Body>
void for_each_device(Body&& body) {
  for (const Device& device : test_devices()) {
    const std::string name = device.str();
    SUBCASE(name.c_str()) {
      CAPTURE(device);
      try {
        body(device);
      } catch (const kernels::NotYetImplemented& missing) {
        if (device.is_cpu()) throw;
        std::printf("skipped: %s (test case \"%s\")\n", missing.what(),
                    doctest::getContextOptions()->currentTest->m_name);
      }
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
