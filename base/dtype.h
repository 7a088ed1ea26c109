// Element types of tensors, their sizes and names, and the promotion rule of binary ops.
#pragma once

#include <cstddef>
#include <cstdint>
#include <ostream>
#include <string_view>

#include "base/half.h"

namespace bytegrad {

enum class DType : uint8_t { Float32, Float64, BFloat16, Float16, Int32, Int64, Bool, UInt8, Int8 };

constexpr DType kFloat32 = DType::Float32;
constexpr DType kFloat64 = DType::Float64;
constexpr DType kBFloat16 = DType::BFloat16;
constexpr DType kFloat16 = DType::Float16;
constexpr DType kInt32 = DType::Int32;
constexpr DType kInt64 = DType::Int64;
constexpr DType kBool = DType::Bool;
constexpr DType kUInt8 = DType::UInt8;
// Signed bytes: the values of int8-group quantized weights (each group has its float32 scale).
constexpr DType kInt8 = DType::Int8;

size_t dtype_size(DType dtype);
std::string_view dtype_name(DType dtype);  // "float32", "int64", ...
bool is_floating(DType dtype);
bool is_integral(DType dtype);  // int32, int64, uint8, int8, bool

// The dtype both operands of a binary op are computed in, as PyTorch promotes tensors:
// floating beats integral; among floats the wider wins (bfloat16 with float16 gives float32).
DType promote_types(DType a, DType b);

std::ostream& operator<<(std::ostream& out, DType dtype);

// The C++ type stored for each dtype.
template <DType D> struct StorageTypeOf;
template <> struct StorageTypeOf<DType::Float32> { using type = float; };
template <> struct StorageTypeOf<DType::Float64> { using type = double; };
template <> struct StorageTypeOf<DType::BFloat16> { using type = BFloat16; };
template <> struct StorageTypeOf<DType::Float16> { using type = Float16; };
template <> struct StorageTypeOf<DType::Int32> { using type = int32_t; };
template <> struct StorageTypeOf<DType::Int64> { using type = int64_t; };
template <> struct StorageTypeOf<DType::Bool> { using type = bool; };
template <> struct StorageTypeOf<DType::UInt8> { using type = uint8_t; };
template <> struct StorageTypeOf<DType::Int8> { using type = int8_t; };

// The type arithmetic happens in: half types compute in float, everything else in itself.
template <typename T> struct ComputeTypeOf { using type = T; };
template <> struct ComputeTypeOf<BFloat16> { using type = float; };
template <> struct ComputeTypeOf<Float16> { using type = float; };
template <typename T> using compute_t = typename ComputeTypeOf<T>::type;

template <typename T> constexpr DType dtype_of();
template <> constexpr DType dtype_of<float>() { return DType::Float32; }
template <> constexpr DType dtype_of<double>() { return DType::Float64; }
template <> constexpr DType dtype_of<BFloat16>() { return DType::BFloat16; }
template <> constexpr DType dtype_of<Float16>() { return DType::Float16; }
template <> constexpr DType dtype_of<int32_t>() { return DType::Int32; }
template <> constexpr DType dtype_of<int64_t>() { return DType::Int64; }
template <> constexpr DType dtype_of<bool>() { return DType::Bool; }
template <> constexpr DType dtype_of<uint8_t>() { return DType::UInt8; }
template <> constexpr DType dtype_of<int8_t>() { return DType::Int8; }

// Converts between any two storage types through their compute types.
template <typename To, typename From>
inline To convert(From value) {
  if constexpr (std::is_same_v<To, From>) {
    return value;
  } else if constexpr (std::is_same_v<To, bool>) {
    return static_cast<compute_t<From>>(value) != compute_t<From>(0);
  } else {
    return To(static_cast<compute_t<To>>(static_cast<compute_t<From>>(value)));
  }
}

// Calls fn.template operator()<T>() with T the storage type of `dtype`:
//   visit_dtype(dtype, [&]<typename T>() { ... });
template <typename Fn>
decltype(auto) visit_dtype(DType dtype, Fn&& fn) {
  switch (dtype) {
    case DType::Float32: return fn.template operator()<float>();
    case DType::Float64: return fn.template operator()<double>();
    case DType::BFloat16: return fn.template operator()<BFloat16>();
    case DType::Float16: return fn.template operator()<Float16>();
    case DType::Int32: return fn.template operator()<int32_t>();
    case DType::Int64: return fn.template operator()<int64_t>();
    case DType::Bool: return fn.template operator()<bool>();
    case DType::UInt8: return fn.template operator()<uint8_t>();
    case DType::Int8: return fn.template operator()<int8_t>();
  }
  return fn.template operator()<float>();
}

}  // namespace bytegrad
