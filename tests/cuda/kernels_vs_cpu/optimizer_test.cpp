// The optimizer kernels of kernels/cuda/optimizer_kernels.h against the CPU backend's fused
// optimizer methods, over buffers of 1 element, fewer than a block, and more than the whole grid
// covers in one stride (so the grid-stride loops turn more than once).
#include <doctest/doctest.h>

#include <span>

#include "kernels/cuda/optimizer_kernels.h"
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
      kernels::cuda::adamw_update(nullptr, d_param.as<float>(), d_grad.as<float>(), d_m.as<float>(),
                                  d_v.as<float>(), n, decay, step.beta1, step.beta2, step.eps,
                                  step.step_size, step.inverse_bias_correction2);
    }
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
        kernels::cuda::sgd_update(nullptr, d_param.as<float>(), d_grad.as<float>(),
                                  d_velocity.as<float>(), n, 1e-3f, 0.1f, momentum);
      }
      check_close("sgd param", d_param.download(), as_doubles(param), kFloat32Update);
      check_close("sgd velocity", d_velocity.download(), as_doubles(velocity), kFloat32Update);
    }
}

TEST_CASE("cuda kernels: the sum of squares and scaling match the CPU") {
  if (!have_cuda_device()) return;
  for (const int64_t n : kBufferSizes) {
    INFO(n, " elements");
    std::vector<float> x = as_floats(random_values(size_t(n), kFloat32, -3, 3, 3));
    const DeviceArray d_x(kFloat32, as_doubles(x));
    const int blocks = kernels::cuda::sum_of_squares_blocks(n);
    REQUIRE(blocks >= 1);
    const DeviceArray d_partials(kFloat64, std::vector<double>(size_t(blocks), -1.0));
    kernels::cuda::sum_of_squares_partials(nullptr, d_x.as<float>(), n, d_partials.as<double>());
    double sum = 0;
    for (const double partial : d_partials.download()) sum += partial;
    const std::span<const float> buffer(x);
    const double expected = cpu_backend().sum_of_squares(std::span(&buffer, 1));
    CHECK(sum == doctest::Approx(expected).epsilon(1e-12));

    const std::span<float> writable(x);
    cpu_backend().scale(std::span(&writable, 1), -0.37f);
    kernels::cuda::scale_buffer(nullptr, d_x.as<float>(), n, -0.37f);
    check_close("scale", d_x.download(), as_doubles(x), Tolerance{0, 0});
  }
}

}  // namespace
}  // namespace bytegrad::testing
