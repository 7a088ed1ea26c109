// Element types: bfloat16 and float16 rounding, promotion, conversions between every dtype, and
// arithmetic in half precision (conversions and ops on every test device).
#include <limits>

#include "tests/devices.h"
#include "tests/test_util.h"

using namespace bytegrad;
using bytegrad::testing::for_each_device;

TEST_CASE("bfloat16 rounds to nearest even and keeps float32's range") {
  CHECK(float(BFloat16(1.0f)) == 1.0f);
  // 1 + 2^-8 lies exactly between two bfloat16 values (1 and 1 + 2^-7): ties go to even (1).
  CHECK(float(BFloat16(1.0f + 0x1.0p-8f)) == 1.0f);
  CHECK(float(BFloat16(1.0f + 0x1.8p-8f)) == 1.0f + 0x1.0p-7f);
  CHECK(float(BFloat16(3e38f)) == doctest::Approx(3e38f).epsilon(0.01));
  CHECK(std::isnan(float(BFloat16(std::numeric_limits<float>::quiet_NaN()))));
}

TEST_CASE("float16 converts normals, subnormals, overflow and NaN like IEEE binary16") {
  CHECK(float(Float16(1.0f)) == 1.0f);
  CHECK(float(Float16(65504.0f)) == 65504.0f);                 // largest finite
  CHECK(std::isinf(float(Float16(70000.0f))));                  // overflows to inf
  CHECK(float(Float16(0x1.0p-24f)) == 0x1.0p-24f);              // smallest subnormal
  CHECK(float(Float16(1.0f + 0x1.0p-11f)) == 1.0f);              // tie to even
  CHECK(float(Float16(-2.0f)) == -2.0f);
  CHECK(std::isnan(float(Float16(std::numeric_limits<float>::quiet_NaN()))));
}

TEST_CASE("promotion follows PyTorch: floats beat integers, the wider float wins") {
  CHECK(promote_types(kInt64, kFloat32) == kFloat32);
  CHECK(promote_types(kFloat32, kFloat64) == kFloat64);
  CHECK(promote_types(kBFloat16, kFloat16) == kFloat32);
  CHECK(promote_types(kBool, kInt32) == kInt32);
  CHECK(promote_types(kUInt8, kInt64) == kInt64);
}

TEST_CASE("to(dtype) converts every dtype pair through a strided copy") {
  for_each_device([](Device device) {
    const Tensor x = from_vector(std::vector<float>{-1.5f, 0.0f, 2.25f, 7.0f}, {2, 2}, {kFloat32, device});
    for (DType d : {kFloat32, kFloat64, kBFloat16, kFloat16}) {
      INFO(dtype_name(d));
      testing::check_values(to(to(x, d), kFloat32), {-1.5, 0.0, 2.25, 7.0});
    }
    testing::check_values(to(x, kInt32), {-1, 0, 2, 7});
    testing::check_values(to(x, kBool), {1, 0, 1, 1});
    // A transposed (non-contiguous) source converts element by element in logical order.
    testing::check_values(to(transpose(x, 0, 1), kFloat64), {-1.5, 2.25, 0.0, 7.0});
  });
}

TEST_CASE("ops compute in half precision and round the result") {
  for_each_device([](Device device) {
    const Tensor a = full({3}, 1.0, {kBFloat16, device});
    const Tensor b = full({3}, 0x1.0p-9, {kBFloat16, device});
    // 1 + 2^-9 is not representable in bfloat16: it rounds back to 1.
    testing::check_values(add(a, b), {1, 1, 1});
    CHECK(add(a, b).dtype() == kBFloat16);
    testing::check_values(exp(full({2}, 0.0, {kFloat16, device})), {1, 1});
  });
}
