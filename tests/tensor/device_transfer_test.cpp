// Devices from the tensor layer's side: which devices exist, moving tensors with to(device), and
// filling and reading a tensor's bytes from the host (what file formats use).
#include <cstring>
#include <vector>

#include "tests/devices.h"
#include "tests/test_util.h"

using namespace bytegrad;
using bytegrad::testing::check_values;
using bytegrad::testing::error_of;

TEST_CASE("the CPU is device index 0 and no other index exists") {
  CHECK(&kernels::backend_for(kCPU) == &kernels::backend_for(Device{DeviceKind::CPU, 0}));
  CHECK(error_of([] { kernels::backend_for(Device{DeviceKind::CPU, 1}); }) ==
        "device cpu:1: no such device; this process has 1 cpu device (index 0)");
  CHECK(error_of([] { zeros({2}, {kFloat32, Device{DeviceKind::CPU, 2}}); }).find("cpu:2") !=
        std::string::npos);
}

TEST_CASE("Tensor::to returns the tensor itself on its own device") {
  const Tensor x = arange(4);
  CHECK(x.to(kCPU).is_same(x));
  CHECK(error_of([&] { x.to(Device{DeviceKind::CPU, 1}); }).find("no such device") != std::string::npos);
}

TEST_CASE("copy_from_host fills a tensor and copy_to_host reads its bytes back") {
  const std::vector<float> values = {1.5f, -2.0f, 3.25f, 0.0f, 7.0f, -1.0f};
  const Tensor t = empty({2, 3});
  t.copy_from_host(values.data(), values.size() * sizeof(float));
  check_values(t, {1.5, -2.0, 3.25, 0.0, 7.0, -1.0});
  std::vector<float> back(6);
  ops::select(t, 0, 1).copy_to_host(back.data(), 3 * sizeof(float));  // a view with an offset
  CHECK(back[0] == 0.0f);
  CHECK(back[2] == -1.0f);
}

TEST_CASE("host transfers name the shape and dtype when the bytes do not fit") {
  const Tensor t = zeros({2, 3});
  std::vector<char> bytes(100);
  CHECK(error_of([&] { t.copy_from_host(bytes.data(), 20); }) ==
        "copy_from_host: 20 bytes given for a tensor of shape [2, 3] and dtype float32, which holds 24 bytes");
  CHECK(error_of([&] { ops::transpose(t, 0, 1).copy_to_host(bytes.data(), 24); }) ==
        "copy_to_host: tensor of shape [3, 2] and dtype float32 is not contiguous");
}

TEST_CASE("copy_ between contiguous tensors of one dtype copies the bytes, large or small") {
  for (int64_t n : {int64_t(1), int64_t(5), int64_t(300000)}) {
    const Tensor source = ops::to(arange(n), kFloat32), target = zeros({n});
    ops::copy_(target, source);
    const std::vector<float> copied = target.to_vector<float>();
    CHECK(copied.front() == 0.0f);
    CHECK(copied.back() == float(n - 1));
  }
}

TEST_CASE("copy_ from another device moves the source first, broadcasting as on one device") {
  bytegrad::testing::for_each_device([](Device device) {
    const Tensor row = arange(3);                        // on the CPU
    const Tensor grid = zeros({2, 3}, {kFloat32, device});
    ops::copy_(grid, row);                                    // CPU -> device, broadcast over the rows
    check_values(grid.to(kCPU), {0, 1, 2, 0, 1, 2});
    const Tensor back = zeros({2, 3});
    ops::copy_(back, mul(grid, 2.0));                         // device -> CPU
    check_values(back, {0, 2, 4, 0, 2, 4});
  });
}
