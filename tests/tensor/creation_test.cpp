// Creating tensors on every test device: constants, ranges, host values, and random draws from
// the Philox stream, which every device must draw identically for the same seed.
#include <algorithm>
#include <cmath>

#include "base/philox.h"
#include "tests/devices.h"
#include "tests/test_util.h"

using namespace bytegrad;
using bytegrad::testing::check_values;
using bytegrad::testing::for_each_device;

TEST_CASE("zeros, ones and full fill every element with the value and dtype asked for") {
  for_each_device([](Device device) {
    check_values(zeros({2, 3}, {kFloat32, device}), std::vector<double>(6, 0.0));
    check_values(ones({4}, {kInt32, device}), std::vector<double>(4, 1.0));
    const Tensor t = full({2, 2}, 2.5, {kFloat64, device});
    CHECK(t.dtype() == kFloat64);
    check_values(t, {2.5, 2.5, 2.5, 2.5});
  });
}

TEST_CASE("arange counts from start by step and excludes the end") {
  for_each_device([](Device device) {
    check_values(arange(5, {kInt64, device}), {0, 1, 2, 3, 4});
    check_values(arange(1, 2, 0.25, {kFloat32, device}), {1, 1.25, 1.5, 1.75});
    CHECK(arange(3, {kInt64, device}).dtype() == kInt64);
    CHECK(arange(5, 5, 1, {kInt64, device}).numel() == 0);
  });
}

TEST_CASE("from_vector keeps values and shape and converts to the requested dtype") {
  const Tensor t = from_vector(std::vector<double>{1.5, -2.5, 3.0, 4.0}, {2, 2}, {kInt64});
  CHECK(t.dtype() == kInt64);
  check_values(t, {1, -2, 3, 4});
  CHECK(testing::error_of([] { from_vector(std::vector<float>{1, 2, 3}, {2, 2}); })
            .find("3 values do not fill shape [2, 2]") != std::string::npos);
}

TEST_CASE("Philox4x32-10 matches the published known-answer vector") {
  // Random123's test vector: counter 0, key 0.
  const philox::Block zero = philox::generate(0, 0);
  CHECK(zero.lane[0] == 0x6627e8d5u);
  CHECK(zero.lane[1] == 0xe169c58du);
  CHECK(zero.lane[2] == 0xbc57ac4cu);
  CHECK(zero.lane[3] == 0x9b00dbd8u);
}

TEST_CASE("random draws are reproducible from a seed and advance the stream") {
  for_each_device([](Device device) {
    Generator a(42), b(42);
    const TensorOptions options{kFloat32, device};
    const std::vector<float> first = rand({100}, options, &a).to_vector<float>();
    CHECK(first == rand({100}, options, &b).to_vector<float>());
    CHECK(first != rand({100}, options, &a).to_vector<float>());  // the stream moved on
    CHECK(a.offset() == 100);  // two draws of 100 elements, two elements per block

    // Element i of a draw depends only on (seed, offset, i): a longer draw extends a shorter one.
    Generator c(7), d(7);
    const std::vector<float> shorter = randn({5}, options, &c).to_vector<float>();
    const std::vector<float> longer = randn({9}, options, &d).to_vector<float>();
    for (size_t i = 0; i < shorter.size(); ++i) CHECK(shorter[i] == longer[i]);
  });
}

TEST_CASE("every device draws the CPU's numbers for the same seed") {
  for_each_device([](Device device) {
    Generator on_device(9), on_cpu(9);
    CHECK(rand({33}, {kFloat32, device}, &on_device).to_vector<float>() ==
          rand({33}, {kFloat32, kCPU}, &on_cpu).to_vector<float>());
    // Normal draws go through log, cos and sin, whose last bit may differ between math libraries.
    testing::check_close(randn({33}, {kFloat64, device}, &on_device), randn({33}, {kFloat64, kCPU}, &on_cpu),
                         1e-12, 1e-12);
    CHECK(randint(0, 1000, {33}, {kInt64, device}, &on_device).to_vector<int64_t>() ==
          randint(0, 1000, {33}, {kInt64, kCPU}, &on_cpu).to_vector<int64_t>());
  });
}

TEST_CASE("uniform, normal and randint have the moments and ranges they promise") {
  for_each_device([](Device device) {
    Generator g(1);
    const int64_t n = 200000;
    const std::vector<double> u = rand({n}, {kFloat64, device}, &g).to_vector<double>();
    double sum = 0, lo = 1, hi = 0;
    for (double v : u) sum += v, lo = std::min(lo, v), hi = std::max(hi, v);
    CHECK(lo >= 0.0);
    CHECK(hi < 1.0);
    CHECK(sum / n == doctest::Approx(0.5).epsilon(0.01));

    const Tensor z = randn({n}, {kFloat64, device}, &g);
    CHECK(mean(z).item<double>() == doctest::Approx(0.0).epsilon(0).scale(1).epsilon(0.01));
    CHECK(var(z).item<double>() == doctest::Approx(1.0).epsilon(0.02));

    const std::vector<int64_t> r = randint(-3, 4, {n}, {kInt64, device}, &g).to_vector<int64_t>();
    std::vector<int64_t> counts(7, 0);
    for (int64_t v : r) {
      REQUIRE(v >= -3);
      REQUIRE(v < 4);
      ++counts[size_t(v + 3)];
    }
    for (int64_t c : counts) CHECK(double(c) / n == doctest::Approx(1.0 / 7).epsilon(0.05));
  });
}

TEST_CASE("item and printing show the stored values") {
  CHECK(full({}, 3.0).item<float>() == 3.0f);
  CHECK(testing::error_of([] { zeros({2}).item<float>(); }).find("item: expected a tensor with one element") == 0);
  CHECK(from_vector(std::vector<int64_t>{1, 2, 3, 4}, {2, 2}).str() == "tensor([[1, 2], [3, 4]], dtype=int64)");
}

TEST_CASE("randperm draws each of 0..n-1 once, the same order for the same generator state") {
  for_each_device([](Device device) {
    const TensorOptions options{kInt64, device};
    Generator a(5), b(5), c(6), cpu(5);
    const std::vector<int64_t> first = randperm(97, options, &a).to_vector<int64_t>();
    std::vector<int64_t> sorted = first;
    std::sort(sorted.begin(), sorted.end());
    for (int64_t i = 0; i < 97; ++i) CHECK(sorted[size_t(i)] == i);
    CHECK(randperm(97, options, &b).to_vector<int64_t>() == first);
    CHECK(randperm(97, {kInt64, kCPU}, &cpu).to_vector<int64_t>() == first);  // every device, one order
    CHECK(randperm(97, options, &c).to_vector<int64_t>() != first);
    // The stream moves on: the next permutation from the same generator differs.
    CHECK(randperm(97, options, &a).to_vector<int64_t>() != first);
    CHECK(randperm(0, options).numel() == 0);
  });
  CHECK(testing::error_of([] { randperm(-1); }).find("randperm") != std::string::npos);
}

TEST_CASE("a shape whose element or byte count overflows 64 bits is refused before anything is allocated") {
  const int64_t wraps_to_64 = (int64_t(1) << 57) + 1;  // times 64 wraps around to 64
  CHECK(bytegrad::testing::error_of([&] { empty({wraps_to_64, 64}); }) ==
        "shape [144115188075855873, 64]: the number of elements does not fit in 64 bits");
  CHECK(bytegrad::testing::error_of([&] { empty({int64_t(1) << 61, 1}, {kFloat32, kCPU}); }).find(
            "needs more bytes than 64 bits can count") != std::string::npos);
  const Tensor row = zeros({1, 64});
  CHECK(bytegrad::testing::error_of([&] { ops::expand(row, {wraps_to_64, 64}).numel(); }).find(
            "does not fit in 64 bits") != std::string::npos);
}

TEST_CASE("an allocation the system cannot give is an Error, and tensors freed while it unwinds free cleanly") {
  const auto build = [] {
    std::vector<Tensor> layers;
    for (int i = 0; i < 64; ++i) layers.push_back(zeros({257 + i, 129}));  // cached block sizes, freed on unwind
    layers.push_back(empty({int64_t(1) << 60}, {kFloat32, kCPU}));         // 4 EiB: out of memory
  };
  CHECK(bytegrad::testing::error_of(build).find("out of memory") != std::string::npos);
  CHECK(zeros({257, 129}).numel() == 257 * 129);  // the cache still serves
}

TEST_CASE("values of an empty tensor copy to and from the host") {
  for_each_device([](Device device) {
    const Tensor none = zeros({0, 3}, {kFloat32, device});
    CHECK(none.to_vector<float>().empty());
    none.copy_from_host(nullptr, 0);
    none.copy_to_host(nullptr, 0);
  });
}
