// The CUDA backend's fused optimizer methods against the CPU backend's, over buffers of 1 element, fewer than a block, and more than the whole grid
// covers in one stride (so the grid-stride loops turn more than once).
#include <doctest/doctest.h>

#include <memory>
#include <span>

#include "tests/cuda/kernels_vs_cpu/kernel_check.h"

namespace bytegrad::testing {
namespace {

const std::vector<int64_t> kBufferSizes = {1, 100, 4099, 300007};

std::vector<float> as_floats(const std::vector<double>& values) {
  return std::vector<float>(values.begin(), values.end());
}
std::vector<double> as_doubles(const std::vector<float>& values) {
  return std::vector<double>(values.begin(), values.end());
}

// The same elementwise formula in float32 on both sides; only contraction into fused
// multiply-adds may differ.
const Tolerance kFloat32Update{1e-6, 1e-5};

TEST_CASE("cuda kernels: AdamW steps match the CPU") {
  if (!have_cuda_device()) return;
  for (const int64_t n : kBufferSizes) {
    INFO(n, " elements");
    const size_t count = size_t(n);
    std::vector<float> param = as_floats(random_values(count, kFloat32, -1, 1, 1));
    std::vector<float> m(count, 0.0f), v(count, 0.0f);
    const DeviceArray d_param(kFloat32, as_doubles(param)), d_m(kFloat32, as_doubles(m)),
        d_v(kFloat32, as_doubles(m));
    kernels::AdamWStep step{0.9f, 0.95f, 1e-8f, 0.0f, 1.0f};
    for (int t = 1; t <= 3; ++t) {
      const std::vector<float> grad = as_floats(random_values(count, kFloat32, -1, 1, uint32_t(10 + t)));
      const DeviceArray d_grad(kFloat32, as_doubles(grad));
      step.step_size = 1e-2f / (1.0f - std::pow(step.beta1, float(t)));
      step.inverse_bias_correction2 = 1.0f / std::sqrt(1.0f - std::pow(step.beta2, float(t)));
      const float decay = 1.0f - 1e-2f * 0.1f;
      const kernels::AdamWParameter host{param.data(), grad.data(), m.data(), v.data(), n, decay};
      cpu_backend().adamw(std::span(&host, 1), step);
      const kernels::AdamWParameter device{d_param.as<float>(), d_grad.as<float>(), d_m.as<float>(),
                                           d_v.as<float>(), n, decay};
      cuda_backend().adamw(std::span(&device, 1), step);
    }
    cuda_backend().synchronize();
    check_close("adamw param", d_param.download(), as_doubles(param), kFloat32Update);
    check_close("adamw exp_avg", d_m.download(), as_doubles(m), kFloat32Update);
    check_close("adamw exp_avg_sq", d_v.download(), as_doubles(v), kFloat32Update);
  }
}

TEST_CASE("cuda kernels: SGD steps, with and without momentum, match the CPU") {
  if (!have_cuda_device()) return;
  for (const float momentum : {0.0f, 0.9f})
    for (const int64_t n : kBufferSizes) {
      INFO(n, " elements, momentum ", momentum);
      const size_t count = size_t(n);
      std::vector<float> param = as_floats(random_values(count, kFloat32, -1, 1, 2));
      std::vector<float> velocity(count, 0.0f);
      const DeviceArray d_param(kFloat32, as_doubles(param)), d_velocity(kFloat32, as_doubles(velocity));
      for (int t = 1; t <= 3; ++t) {
        const std::vector<float> grad = as_floats(random_values(count, kFloat32, -1, 1, uint32_t(20 + t)));
        const DeviceArray d_grad(kFloat32, as_doubles(grad));
        const kernels::SgdParameter host{param.data(), grad.data(), velocity.data(), n, 1e-3f};
        cpu_backend().sgd(std::span(&host, 1), 0.1f, momentum);
        const kernels::SgdParameter device{d_param.as<float>(), d_grad.as<float>(),
                                           d_velocity.as<float>(), n, 1e-3f};
        cuda_backend().sgd(std::span(&device, 1), 0.1f, momentum);
      }
      cuda_backend().synchronize();
      check_close("sgd param", d_param.download(), as_doubles(param), kFloat32Update);
      check_close("sgd velocity", d_velocity.download(), as_doubles(velocity), kFloat32Update);
    }
}

TEST_CASE("cuda kernels: the sum of squares over several buffers and scaling match the CPU") {
  if (!have_cuda_device()) return;
  // Every size at once, as a model's gradients arrive, and one empty buffer.
  std::vector<std::vector<float>> host;
  for (const int64_t n : kBufferSizes) host.push_back(as_floats(random_values(size_t(n), kFloat32, -3, 3, uint32_t(n))));
  host.emplace_back();
  std::vector<std::unique_ptr<DeviceArray>> device;
  std::vector<std::span<const float>> host_buffers, device_buffers;
  std::vector<std::span<float>> writable_host, writable_device;
  for (std::vector<float>& values : host) {
    device.push_back(std::make_unique<DeviceArray>(kFloat32, as_doubles(values)));
    host_buffers.emplace_back(values);
    writable_host.emplace_back(values);
    device_buffers.emplace_back(device.back()->as<float>(), values.size());
    writable_device.emplace_back(device.back()->as<float>(), values.size());
  }
  const double expected = cpu_backend().sum_of_squares(host_buffers);
  CHECK(cuda_backend().sum_of_squares(device_buffers) == doctest::Approx(expected).epsilon(1e-12));
  CHECK(cuda_backend().sum_of_squares({}) == 0.0);

  cpu_backend().scale(writable_host, -0.37f);
  cuda_backend().scale(writable_device, -0.37f);
  cuda_backend().synchronize();
  for (size_t b = 0; b < host.size(); ++b)
    check_close("scale", device[b]->download(), as_doubles(host[b]), Tolerance{0, 0});
}

}  // namespace
}  // namespace bytegrad::testing
