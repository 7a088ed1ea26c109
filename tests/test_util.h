// Helpers shared by the test suites.
#pragma once

#include <doctest/doctest.h>

#include <cmath>
#include <string>
#include <vector>

#include "bytegrad.h"

namespace bytegrad::testing {

// CHECKs that two tensors have the same shape and values within atol + rtol * |expected|.
inline void check_close(const Tensor& actual, const Tensor& expected, double atol = 1e-6,
                        double rtol = 1e-5) {
  REQUIRE(shape_str(actual.shape()) == shape_str(expected.shape()));
  const std::vector<double> a = actual.to_vector<double>(), e = expected.to_vector<double>();
  for (size_t i = 0; i < a.size(); ++i) {
    INFO("element " << i << ": " << a[i] << " vs expected " << e[i]);
    CHECK(std::fabs(a[i] - e[i]) <= atol + rtol * std::fabs(e[i]));
  }
}

inline void check_values(const Tensor& actual, const std::vector<double>& expected,
                         double atol = 1e-6) {
  const std::vector<double> a = actual.to_vector<double>();
  REQUIRE(a.size() == expected.size());
  for (size_t i = 0; i < a.size(); ++i) {
    INFO("element " << i << ": " << a[i] << " vs expected " << expected[i]);
    CHECK(std::fabs(a[i] - expected[i]) <= atol);
  }
}

// The message of the Error that `body` throws ("" if it throws none).
template <typename Body>
std::string error_of(Body&& body) {
  try {
    body();
  } catch (const Error& e) {
    return e.what();
  }
  return "";
}

}  // namespace bytegrad::testing
