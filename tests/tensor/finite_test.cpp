// all_finite on every test device: NaN and both infinities are caught in any float dtype and
// layout; integer tensors and empty ones are finite.
#include <cmath>

#include "tensor/finite.h"
#include "tensor/ops.h"
#include "tests/devices.h"

using namespace bytegrad;
using bytegrad::testing::for_each_device;

TEST_CASE("all_finite finds a NaN or an infinity anywhere, in every float dtype") {
  for_each_device([](Device device) {
    for (DType dtype : {kFloat32, kFloat64, kBFloat16}) {
      CAPTURE(dtype);
      const Tensor ok = full({3, 5}, 1e30, {kFloat32, device});
      CHECK(ops::all_finite(to(ok, dtype)));
      for (float bad : {NAN, INFINITY, -INFINITY}) {
        std::vector<float> values(15, 0.5f);
        values[13] = bad;
        const Tensor x = to(from_vector(values, {3, 5}, {kFloat32, device}), dtype);
        CHECK_FALSE(ops::all_finite(x));
        CHECK_FALSE(ops::all_finite(ops::transpose(x, 0, 1)));
        CHECK(ops::all_finite(ops::slice(x, 0, 0, 2)));
      }
    }
    CHECK(ops::all_finite(full({2}, 7, {kInt64, device})));
    CHECK(ops::all_finite(full({0, 4}, NAN, {kFloat32, device})));
  });
}

TEST_CASE("has_nan finds a NaN but not an infinity") {
  for_each_device([](Device device) {
    CHECK(ops::has_nan(from_vector<float>({1, NAN}, {2}, {kFloat32, device})));
    CHECK_FALSE(ops::has_nan(from_vector<float>({-INFINITY, INFINITY}, {2}, {kFloat32, device})));
    CHECK_FALSE(ops::has_nan(full({2}, 3, {kInt32, device})));
  });
}

TEST_CASE("first_nonfinite names the first tensor that is not finite") {
  const Tensor fine = full({2}, 1.0), bad = full({2}, NAN);
  CHECK(ops::first_nonfinite({{"a", fine}, {"b", bad}, {"c", bad}}) == "b");
  CHECK(ops::first_nonfinite({{"a", fine}, {"undefined", Tensor()}}).empty());
}
