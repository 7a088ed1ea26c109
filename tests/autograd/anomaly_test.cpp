// Anomaly mode: the first non-finite forward output or gradient throws, naming the op, its shapes
// and dtypes; off, NaNs flow through as they always did.
#include <cmath>

#include "autograd/anomaly.h"
#include "tests/test_util.h"

using namespace bytegrad;
using bytegrad::testing::error_of;

namespace {
Tensor param(std::vector<float> v) { return from_vector(v, {int64_t(v.size())}, {kFloat32, kCPU}).set_requires_grad(); }
}  // namespace

TEST_CASE("anomaly mode is off by default and NaNs pass through forward and backward") {
  CHECK_FALSE(anomaly_enabled());
  Tensor x = param({4, -1});
  const Tensor y = log(x);
  CHECK(std::isnan(y.to_vector<float>()[1]));
  backward(sum(y));
  CHECK(x.grad().to_vector<float>()[1] == -1.0f);  // 1 / x: finite
}

TEST_CASE("anomaly mode throws at the first non-finite forward output") {
  const DetectAnomaly anomaly;
  Tensor x = param({4, -1});
  CHECK(error_of([&] { log(x); }) ==
        "anomaly: forward of 'log' ([2] float32 -> [2] float32) outside any module produced NaN");
  CHECK(error_of([&] { log(param({0, 1})); }).empty());  // -inf: an infinity may be meant in forward
}

TEST_CASE("anomaly mode throws at the first non-finite gradient in backward, naming the op and the input") {
  Tensor x = param({0, 4});
  const Tensor loss = sum(sqrt(x));  // finite forward; d sqrt(x) / dx = 1 / (2 sqrt(x)) is infinite at 0
  const DetectAnomaly anomaly;
  CHECK(error_of([&] { backward(loss); }) ==
        "anomaly: backward of 'sqrt' (recorded outside any module) produced NaN or infinity in the gradient of "
        "input 0 ([2] float32)");
}

TEST_CASE("DetectAnomaly restores the mode it found") {
  {
    const DetectAnomaly on;
    CHECK(anomaly_enabled());
    {
      const DetectAnomaly off(false);
      CHECK_FALSE(anomaly_enabled());
    }
    CHECK(anomaly_enabled());
  }
  CHECK_FALSE(anomaly_enabled());
}
