// The CUDA backend on the emulated device: the same random numbers as the CPU bit for bit, a
// caching allocator that stops calling cudaMalloc once a training loop has run a step, errors
// that name the devices and the methods not implemented yet. (Every implemented method is also
// checked against its specification by tests/kernels/backend_parity_test.cpp as cuda_kernels.)
#include <doctest/doctest.h>

#include <cmath>
#include <cstring>
#include <string>
#include <vector>

#include "bytegrad.h"
#include "kernels/backend.h"
#include "kernels/cuda/caching_allocator.h"
#include "kernels/cuda/cuda_backend.h"

namespace bytegrad {
namespace {

using kernels::ArrayView;
using kernels::RandomKind;

const Device kCuda{DeviceKind::CUDA, 0};

std::string error_of(auto&& call) {
  try {
    call();
  } catch (const Error& e) {
    return e.what();
  }
  return "";
}

TEST_CASE("cuda random: the Philox stream gives the CPU's numbers bit for bit") {
  kernels::Backend& cpu = kernels::backend_for(kCPU);
  kernels::Backend& gpu = kernels::backend_for(kCuda);
  struct Draw {
    RandomKind kind;
    DType dtype;
    double a, b;
  };
  const std::vector<Draw> draws = {
      {RandomKind::Uniform, kFloat32, -1.5, 2.0}, {RandomKind::Uniform, kFloat64, 0.0, 1.0},
      {RandomKind::Uniform, kBFloat16, -3.0, 3.0}, {RandomKind::Uniform, kFloat16, 0.0, 10.0},
      {RandomKind::Normal, kFloat32, 0.5, 2.0},   {RandomKind::Normal, kFloat64, 0.0, 1.0},
      {RandomKind::Normal, kBFloat16, 0.0, 1.0},  {RandomKind::Normal, kFloat16, -1.0, 0.1},
      {RandomKind::Integer, kInt64, -7.0, 1000.0}, {RandomKind::Integer, kInt32, 0.0, 50257.0},
  };
  for (const Draw& draw : draws)
    for (int64_t n : {int64_t(1), int64_t(7), int64_t(257), int64_t(4099)})
      for (uint64_t offset : {uint64_t(0), uint64_t(3), uint64_t(1) << 40}) {
        CAPTURE(int(draw.kind));
        CAPTURE(dtype_name(draw.dtype));
        CAPTURE(n);
        CAPTURE(offset);
        const size_t bytes = size_t(n) * dtype_size(draw.dtype);
        const std::vector<int64_t> shape{n}, strides{1};
        std::vector<unsigned char> expected(bytes), got(bytes);
        cpu.random(draw.kind, ArrayView{expected.data(), draw.dtype, shape, strides}, 1234567, offset, draw.a, draw.b);
        void* device = gpu.allocate(bytes);
        gpu.random(draw.kind, ArrayView{device, draw.dtype, shape, strides}, 1234567, offset, draw.a, draw.b);
        gpu.copy_to_host(device, got.data(), bytes);
        gpu.deallocate(device, bytes);
        CHECK(std::memcmp(expected.data(), got.data(), bytes) == 0);
      }
}

TEST_CASE("cuda reduce: a block per output (long rows) and a thread per output (short rows) match the CPU") {
  kernels::Backend& cpu = kernels::backend_for(kCPU);
  kernels::Backend& gpu = kernels::backend_for(kCuda);
  using kernels::ReduceOp;
  for (int64_t length : {int64_t(5), int64_t(1001)}) {
    const int64_t rows = 3, n = rows * length;
    std::vector<double> input(static_cast<size_t>(n));
    for (int64_t i = 0; i < n; ++i) input[size_t(i)] = std::sin(double(i) * 0.37) * 3.0 + (i == 700 ? 9.0 : 0.0);
    const std::vector<int64_t> shape{rows, length}, strides{length, 1}, out_shape{rows}, out_strides{1};
    void* device_in = gpu.allocate(size_t(n) * 8);
    gpu.copy_from_host(input.data(), device_in, size_t(n) * 8);
    for (ReduceOp op : {ReduceOp::Sum, ReduceOp::Mean, ReduceOp::Prod, ReduceOp::Max, ReduceOp::ArgMin,
                        ReduceOp::LogSumExp}) {
      CAPTURE(length);
      CAPTURE(int(op));
      const bool arg = op == ReduceOp::ArgMin;
      std::vector<double> expected(static_cast<size_t>(rows)), got(static_cast<size_t>(rows));
      std::vector<int64_t> expected_index(static_cast<size_t>(rows)), got_index(static_cast<size_t>(rows));
      const DType out_dtype = arg ? kInt64 : kFloat64;
      cpu.reduce(op, ArrayView{input.data(), kFloat64, shape, strides}, 1,
                 ArrayView{arg ? static_cast<void*>(expected_index.data()) : expected.data(), out_dtype, out_shape, out_strides},
                 ArrayView{op == ReduceOp::Max ? expected_index.data() : nullptr, kInt64, out_shape, out_strides});
      void* device_out = gpu.allocate(size_t(rows) * 8);
      void* device_index = gpu.allocate(size_t(rows) * 8);
      gpu.reduce(op, ArrayView{device_in, kFloat64, shape, strides}, 1, ArrayView{device_out, out_dtype, out_shape, out_strides},
                 ArrayView{op == ReduceOp::Max ? device_index : nullptr, kInt64, out_shape, out_strides});
      gpu.copy_to_host(device_out, arg ? static_cast<void*>(got_index.data()) : got.data(), size_t(rows) * 8);
      if (op == ReduceOp::Max) gpu.copy_to_host(device_index, got_index.data(), size_t(rows) * 8);
      for (int64_t r = 0; r < rows; ++r) {
        if (arg || op == ReduceOp::Max) CHECK(got_index[size_t(r)] == expected_index[size_t(r)]);
        if (!arg) CHECK(got[size_t(r)] == doctest::Approx(expected[size_t(r)]).epsilon(1e-12));
      }
      gpu.deallocate(device_out, size_t(rows) * 8);
      gpu.deallocate(device_index, size_t(rows) * 8);
    }
    gpu.deallocate(device_in, size_t(n) * 8);
  }
}

TEST_CASE("cuda tensors: randn on the CPU and on cuda draw the same numbers for the same seed") {
  Generator cpu_generator(42), cuda_generator(42);
  const Tensor on_cpu = randn({3, 37}, {kFloat32, kCPU}, &cpu_generator);
  const Tensor on_cuda = randn({3, 37}, {kFloat32, kCuda}, &cuda_generator);
  CHECK(on_cuda.device() == kCuda);
  const Tensor back = to(on_cuda, kCPU);
  CHECK(std::memcmp(on_cpu.data_ptr(), back.data_ptr(), 3 * 37 * sizeof(float)) == 0);
}

// A small training loop on cuda:0 (elementwise ops, reductions and their gradients, an SGD
// update); returns the weights after `steps` steps, on the CPU.
Tensor train(Device device, int steps) {
  Generator generator(7);
  const Tensor x = to(randn({61, 37}, {kFloat32, kCPU}, &generator), device);
  Tensor w = to(randn({61, 37}, {kFloat32, kCPU}, &generator), device).set_requires_grad();
  for (int step = 0; step < steps; ++step) {
    const Tensor loss = mean(tanh(w * x + 0.5) * sigmoid(x - w));
    backward(loss);
    NoGradGuard no_grad;
    w = (w - w.grad() * 0.5).detach().set_requires_grad();
  }
  return to(w.detach(), kCPU);
}

TEST_CASE("cuda training loop: equal to the CPU's, and no cudaMalloc once the first step has run") {
  const Tensor on_cpu = train(kCPU, 3);
  const Tensor on_cuda = train(kCuda, 3);
  const float* expected = static_cast<const float*>(on_cpu.data_ptr());
  const float* got = static_cast<const float*>(on_cuda.data_ptr());
  for (int64_t i = 0; i < on_cpu.numel(); ++i) CHECK(got[i] == doctest::Approx(expected[i]).epsilon(1e-5));

  const kernels::cuda::CachingAllocator& allocator = kernels::cuda::cuda_backend(0).allocator();
  train(kCuda, 1);  // warm: every size a step needs is cached now
  const size_t after_one_step = allocator.statistics().device_allocations;
  train(kCuda, 4);
  CHECK(allocator.statistics().device_allocations == after_one_step);
  CHECK(allocator.statistics().cached_blocks > 0);
}

TEST_CASE("cuda caching allocator: size classes, reuse, and frees it did not hand out") {
  using kernels::cuda::CachingAllocator;
  CHECK(CachingAllocator::size_class(0) == 512);
  CHECK(CachingAllocator::size_class(512) == 512);
  CHECK(CachingAllocator::size_class(513) == 640);    // quarters of 512
  CHECK(CachingAllocator::size_class(1000) == 1024);
  CHECK(CachingAllocator::size_class(1025) == 1280);  // at most 25% above the request
  CHECK(CachingAllocator::size_class(1 << 20) == 1 << 20);
  for (size_t n : {size_t(1), size_t(777), size_t(123457), size_t(5) << 20})
    CHECK(CachingAllocator::size_class(n) - n <= n / 4 + 512);

  CachingAllocator allocator(0);
  void* first = allocator.allocate(1000);
  allocator.deallocate(first, 1000);
  void* again = allocator.allocate(900);  // the same size class: the cached block comes back
  CHECK(again == first);
  CHECK(allocator.statistics().device_allocations == 1);
  CHECK(error_of([&] { allocator.deallocate(again, 5000); }).find("size class") != std::string::npos);
  allocator.deallocate(again, 900);
  CHECK(error_of([&] { allocator.deallocate(again, 900); }).find("did not hand out or has taken back already") !=
        std::string::npos);
  allocator.release_cached();
  CHECK(allocator.statistics().cached_blocks == 0);
}

TEST_CASE("cuda tensors: an op on tensors of two devices names both") {
  const Tensor a = ones({2, 3}, {kFloat32, kCPU});
  const Tensor b = ones({2, 3}, {kFloat32, kCuda});
  const std::string message = error_of([&] { add(a, b); });
  CHECK(message.find("cpu") != std::string::npos);
  CHECK(message.find("cuda:0") != std::string::npos);
}

TEST_CASE("cuda devices: the emulated device count, and a device that does not exist") {
  CHECK(kernels::device_count(DeviceKind::CUDA) >= 1);
  const int count = kernels::device_count(DeviceKind::CUDA);
  const std::string message = error_of([&] { kernels::backend_for(Device{DeviceKind::CUDA, count}); });
  CHECK(message.find("no such device") != std::string::npos);
  if (count >= 2) {  // BYTEGRAD_EMULATED_CUDA_DEVICES=2 (ctest cuda_two_devices)
    const Device second{DeviceKind::CUDA, 1};
    const Tensor a = ones({4}, {kFloat32, kCuda}), b = ones({4}, {kFloat32, second});
    const std::string two = error_of([&] { add(a, b); });
    CHECK(two.find("cuda:0") != std::string::npos);
    CHECK(two.find("cuda:1") != std::string::npos);
    const Tensor moved = to(add(b, 1.0), kCuda);  // between devices through the host
    CHECK(moved.device() == kCuda);
    const Tensor back = to(moved, kCPU);
    CHECK(static_cast<const float*>(back.data_ptr())[3] == 2.0f);
  }
}

}  // namespace
}  // namespace bytegrad
