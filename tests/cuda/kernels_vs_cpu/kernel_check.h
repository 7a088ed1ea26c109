// The tools of the kernels-versus-CPU suite: host arrays that the CPU backend computes the
// reference on, the same bytes on the CUDA device for the CUDA backend's method under test,
// random inputs, and a comparison that reports the worst element.
#pragma once

#include <doctest/doctest.h>

#include <cmath>
#include <random>
#include <string>
#include <vector>

#include "kernels/backend.h"
#include "tests/cuda/device_array.h"

namespace bytegrad::testing {

// Row counts and lengths that break kernels assuming full warps or one block-width pass: 1,
// primes, lengths that are not multiples of 32, rows longer than a block (256 threads), and
// enough rows that column sums over them come in several chunks (column_sums.cuh).
const std::vector<int64_t> kRowCounts = {1, 3, 37, 130};
const std::vector<int64_t> kRowLengths = {1, 7, 31, 33, 100, 257, 1031};

inline kernels::Backend& cpu_backend() { return kernels::backend_for(kCPU); }
inline kernels::Backend& cuda_backend() { return kernels::backend_for(Device{DeviceKind::CUDA, 0}); }

inline std::vector<int64_t> row_major_strides(const std::vector<int64_t>& shape) {
  std::vector<int64_t> strides(shape.size(), 1);
  for (size_t d = shape.size(); d-- > 1;) strides[d - 1] = strides[d] * shape[d];
  return strides;
}

// An array in host memory, as the CPU backend sees it.
class HostArray {
 public:
  HostArray(DType dtype, std::vector<int64_t> shape, const std::vector<double>& values)
      : dtype_(dtype), shape_(std::move(shape)), strides_(row_major_strides(shape_)),
        bytes_(to_bytes(dtype, values)) {}
  kernels::ArrayView view() { return {bytes_.data(), dtype_, shape_, strides_}; }
  std::vector<double> values() const { return from_bytes(dtype_, bytes_); }

 private:
  DType dtype_;
  std::vector<int64_t> shape_, strides_;
  std::vector<std::byte> bytes_;
};

// The same array in the CUDA device's memory, as the CUDA backend sees it. Reading it back waits
// for the backend's stream first.
class DeviceTensor {
 public:
  DeviceTensor(DType dtype, std::vector<int64_t> shape, const std::vector<double>& values)
      : array_(dtype, values), dtype_(dtype), shape_(std::move(shape)),
        strides_(row_major_strides(shape_)) {}
  kernels::ArrayView view() const { return {array_.data(), dtype_, shape_, strides_}; }
  void* data() const { return array_.data(); }
  std::vector<double> values() const {
    cuda_backend().synchronize();
    return array_.download();
  }

 private:
  DeviceArray array_;
  DType dtype_;
  std::vector<int64_t> shape_, strides_;
};

// `count` draws from [low, high), rounded to `dtype` so that host and device see the same values.
inline std::vector<double> random_values(size_t count, DType dtype, double low, double high,
                                         uint32_t seed) {
  std::mt19937 engine(seed);
  std::uniform_real_distribution<double> uniform(low, high);
  std::vector<double> values(count);
  for (double& v : values) v = uniform(engine);
  return from_bytes(dtype, to_bytes(dtype, values));
}

// How far a kernel may drift from the CPU: |actual - expected| <= absolute + relative |expected|.
struct Tolerance {
  double absolute, relative;
};

inline Tolerance tolerance_for(DType dtype) {
  switch (dtype) {
    case DType::Float64: return {1e-12, 1e-11};
    case DType::Float32: return {1e-6, 2e-5};
    case DType::Float16: return {1e-4, 2e-3};  // a rounding of the result, either way
    default: return {1e-3, 1.6e-2};            // bfloat16
  }
}

// CHECKs every element; a failure names the worst one. Infinities must match exactly (and NaN
// match NaN).
inline void check_close(const std::string& what, const std::vector<double>& actual,
                        const std::vector<double>& expected, Tolerance tolerance) {
  REQUIRE(actual.size() == expected.size());
  size_t worst = 0;
  double worst_excess = 0;
  bool all_close = true;
  for (size_t i = 0; i < actual.size(); ++i) {
    const double a = actual[i], e = expected[i];
    if (std::isnan(e) || std::isinf(e)) {
      const bool same = std::isnan(e) ? std::isnan(a) : a == e;
      if (!same && all_close) worst = i;
      all_close = all_close && same;
      continue;
    }
    const double excess = std::abs(a - e) - (tolerance.absolute + tolerance.relative * std::abs(e));
    if (!(excess <= 0)) {
      if (all_close || excess > worst_excess) worst = i, worst_excess = excess;
      all_close = false;
    }
  }
  INFO(what, ": element ", worst, " is ", actual[worst], ", expected ", expected[worst]);
  CHECK(all_close);
}

}  // namespace bytegrad::testing
