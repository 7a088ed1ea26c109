// The fused multi-tensor optimizer kernels against their composed reference (the same formula
// from tensor ops, one parameter at a time), on awkward sizes: one element, sizes that fill no
// SIMD vector or chunk evenly, and a million-plus elements that span many chunks and threads.
#include <cmath>
#include <vector>

#include "tensor/fused_optimizers.h"
#include "tests/test_util.h"

using namespace bytegrad;
using bytegrad::testing::error_of;

namespace {

const std::vector<int64_t> kSizes = {1, 7, 97, 1000003};

std::vector<Tensor> random_tensors(uint64_t seed) {
  Generator generator(seed);
  std::vector<Tensor> tensors;
  for (int64_t n : kSizes) tensors.push_back(randn({n}, {}, &generator));
  return tensors;
}

std::vector<Tensor> clones(const std::vector<Tensor>& tensors) {
  std::vector<Tensor> out;
  for (const Tensor& t : tensors) out.push_back(ops::clone(t));
  return out;
}

// CHECKs |actual - expected| <= atol + rtol |expected| for every element, with one assertion
// per tensor (a million CHECKs would drown the report).
void check_all_close(const std::vector<Tensor>& actual, const std::vector<Tensor>& expected,
                     double atol = 1e-6, double rtol = 1e-5) {
  REQUIRE(actual.size() == expected.size());
  for (size_t i = 0; i < actual.size(); ++i) {
    const std::vector<float> a = actual[i].to_vector<float>(), e = expected[i].to_vector<float>();
    REQUIRE(a.size() == e.size());
    size_t bad = 0;
    while (bad < a.size() && std::fabs(double(a[bad]) - e[bad]) <= atol + rtol * std::fabs(double(e[bad])))
      ++bad;
    INFO("tensor " << i << " of " << a.size() << " elements, element " << bad);
    CHECK(bad == a.size());
  }
}

}  // namespace

TEST_CASE("fused AdamW matches the composed formula on every parameter, step after step") {
  std::vector<Tensor> params = random_tensors(1), m = clones(params), v = clones(params);
  for (Tensor& t : m) t = zeros_like(t);
  for (Tensor& t : v) t = zeros_like(t);
  std::vector<Tensor> ref_params = clones(params), ref_m = clones(m), ref_v = clones(v);
  const double b1 = 0.9, b2 = 0.95, eps = 1e-8, lr = 1e-2;
  for (int t = 1; t <= 3; ++t) {
    const std::vector<Tensor> grads = random_tensors(100 + uint64_t(t));
    const kernels::AdamWStep step{.beta1 = float(b1), .beta2 = float(b2), .eps = float(eps),
                                  .step_size = float(lr / (1 - std::pow(b1, t))),
                                  .inverse_bias_correction2 = float(1 / std::sqrt(1 - std::pow(b2, t)))};
    std::vector<ops::AdamWTensors> fused;
    for (size_t i = 0; i < params.size(); ++i)
      fused.push_back({params[i], grads[i], m[i], v[i], i % 2 ? 1.0f : 0.999f});
    ops::adamw_update(fused, step);
    for (size_t i = 0; i < params.size(); ++i) {
      const double decay = i % 2 ? 1.0 : double(0.999f);
      ref_m[i] = ref_m[i] * b1 + grads[i] * (1 - b1);
      ref_v[i] = ref_v[i] * b2 + square(grads[i]) * (1 - b2);
      const Tensor denom = sqrt(ref_v[i]) * double(step.inverse_bias_correction2) + eps;
      ref_params[i] = ref_params[i] * decay - ref_m[i] / denom * double(step.step_size);
    }
  }
  check_all_close(m, ref_m);
  check_all_close(v, ref_v);
  check_all_close(params, ref_params);
}

TEST_CASE("fused SGD with momentum matches the composed formula on every parameter") {
  std::vector<Tensor> params = random_tensors(2), velocity = clones(params);
  for (Tensor& t : velocity) t = zeros_like(t);
  std::vector<Tensor> ref_params = clones(params), ref_velocity = clones(velocity);
  const double lr = 0.05, momentum = 0.9;
  for (int t = 1; t <= 3; ++t) {
    const std::vector<Tensor> grads = random_tensors(200 + uint64_t(t));
    std::vector<ops::SgdTensors> fused;
    for (size_t i = 0; i < params.size(); ++i)
      fused.push_back({params[i], grads[i], velocity[i], i % 2 ? 0.0f : 0.01f});
    ops::sgd_update(fused, float(lr), float(momentum));
    for (size_t i = 0; i < params.size(); ++i) {
      const double weight_decay = i % 2 ? 0.0 : double(0.01f);
      ref_velocity[i] = ref_velocity[i] * momentum + grads[i] + ref_params[i] * weight_decay;
      ref_params[i] = ref_params[i] - ref_velocity[i] * lr;
    }
  }
  check_all_close(velocity, ref_velocity);
  check_all_close(params, ref_params);
}

TEST_CASE("sum_of_squares adds every element of every tensor in float64") {
  const std::vector<Tensor> tensors = random_tensors(3);
  double expected = 0;
  for (const Tensor& t : tensors) expected += sum(square(to(t, kFloat64))).item<double>();
  CHECK(ops::sum_of_squares(tensors) == doctest::Approx(expected).epsilon(1e-12));
  CHECK(ops::sum_of_squares({}) == 0.0);
}

TEST_CASE("scale_ multiplies every tensor in place") {
  std::vector<Tensor> tensors = random_tensors(4);
  std::vector<Tensor> expected;
  for (const Tensor& t : tensors) expected.push_back(t * double(0.25f));
  ops::scale_(tensors, 0.25f);
  check_all_close(tensors, expected, 0, 0);
}

TEST_CASE("fused updates name the parameter whose buffers do not fit") {
  const Tensor p = zeros({4}), short_grad = zeros({3});
  CHECK(error_of([&] { ops::sgd_update({{p, p, p}, {p, short_grad, p}}, 0.1f, 0.9f); }) ==
        "sgd_update: gradient of parameter 1 has shape [3], the parameter [4]");
  const Tensor doubles = zeros({4}, {kFloat64, kCPU});
  CHECK(error_of([&] { ops::sum_of_squares({p, doubles}); }) ==
        "sum_of_squares: tensor 1 must be contiguous float32, got float64 of shape [4]");
}
