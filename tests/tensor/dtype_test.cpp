// Element types: bfloat16 and float16 rounding, promotion, conversions between every dtype (int8
// included), and arithmetic in half precision (conversions and ops on every test device).
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
  CHECK(promote_types(kInt8, kInt32) == kInt32);
  CHECK(promote_types(kInt8, kFloat16) == kFloat16);
  // uint8 with int8 is int16 in PyTorch; int32 is our narrowest type holding both ranges.
  CHECK(promote_types(kUInt8, kInt8) == kInt32);
  CHECK(promote_types(kInt8, kUInt8) == kInt32);
}

TEST_CASE("int8 is a signed byte: its size, name and integral kind") {
  CHECK(dtype_size(kInt8) == 1);
  CHECK(dtype_name(kInt8) == "int8");
  CHECK(is_integral(kInt8));
  CHECK_FALSE(is_floating(kInt8));
  CHECK(dtype_of<int8_t>() == kInt8);
}

TEST_CASE("int8 tensors convert to and from every dtype, copy and move between devices") {
  for_each_device([](Device device) {
    const std::vector<int8_t> values = {-128, -7, 0, 1, 127, 42};
    const Tensor q = from_vector(values, {2, 3}, {kInt8, device});
    CHECK(q.dtype() == kInt8);
    CHECK(q.to_vector<int8_t>() == values);
    for (DType d : {kFloat32, kFloat64, kInt32, kInt64}) {
      INFO(dtype_name(d));
      testing::check_values(to(q, d), {-128, -7, 0, 1, 127, 42});
      CHECK(to(to(q, d), kInt8).to_vector<int8_t>() == values);
    }
    testing::check_values(to(q, kBool), {1, 1, 0, 1, 1, 1});
    // A transposed int8 tensor copies element by element in logical order.
    CHECK(to(transpose(q, 0, 1), kInt32).to_vector<int32_t>() == std::vector<int32_t>{-128, 1, -7, 127, 0, 42});
    CHECK(q.to(kCPU).to_vector<int8_t>() == values);
  });
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
