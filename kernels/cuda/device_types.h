// Element types on the device: each DType's storage type in a kernel (CUDA's own __half and
// __nv_bfloat16 for the 16-bit floats), the type its arithmetic happens in (float for the 16-bit
// floats, as on the CPU), and conversions that round exactly as the CPU backend's convert<> does:
// through the source's compute type, then the destination's.
#pragma once

#include <cstdint>
#include <type_traits>

#include "base/dtype.h"
#include "base/error.h"
#include "kernels/cuda/cuda_compat.h"

namespace bytegrad::kernels::cuda {

template <typename T> struct DeviceCompute { using type = T; };
template <> struct DeviceCompute<__half> { using type = float; };
template <> struct DeviceCompute<__nv_bfloat16> { using type = float; };
template <typename T> using device_compute_t = typename DeviceCompute<T>::type;

template <typename T> __host__ __device__ __forceinline__ device_compute_t<T> to_compute(T value) {
  if constexpr (std::is_same_v<T, __half>) {
    return __half2float(value);
  } else if constexpr (std::is_same_v<T, __nv_bfloat16>) {
    return __bfloat162float(value);
  } else {
    return value;
  }
}

// A compute-type value stored as T (round to nearest even for the 16-bit floats).
template <typename T, typename C> __host__ __device__ __forceinline__ T from_compute(C value) {
  if constexpr (std::is_same_v<T, __half>) {
    return __float2half(float(value));
  } else if constexpr (std::is_same_v<T, __nv_bfloat16>) {
    return __float2bfloat16(float(value));
  } else if constexpr (std::is_same_v<T, bool>) {
    return value != C(0);
  } else {
    return static_cast<T>(value);
  }
}

// convert<To>(from) as in base/dtype.h: through From's compute type, then To's.
template <typename To, typename From> __host__ __device__ __forceinline__ To convert(From value) {
  if constexpr (std::is_same_v<To, From>) {
    return value;
  } else if constexpr (std::is_same_v<To, bool>) {
    return to_compute(value) != device_compute_t<From>(0);
  } else {
    return from_compute<To>(static_cast<device_compute_t<To>>(to_compute(value)));
  }
}

// Calls fn.template operator()<T>() with T the device storage type of `dtype`.
template <typename Fn> decltype(auto) visit_device_dtype(DType dtype, Fn&& fn) {
  switch (dtype) {
    case DType::Float32: return fn.template operator()<float>();
    case DType::Float64: return fn.template operator()<double>();
    case DType::BFloat16: return fn.template operator()<__nv_bfloat16>();
    case DType::Float16: return fn.template operator()<__half>();
    case DType::Int32: return fn.template operator()<int32_t>();
    case DType::Int64: return fn.template operator()<int64_t>();
    case DType::Bool: return fn.template operator()<bool>();
    case DType::UInt8: return fn.template operator()<uint8_t>();
    case DType::Int8: return fn.template operator()<int8_t>();
  }
  throw Error(concat("cuda: unknown dtype ", int(dtype)));
}

}  // namespace bytegrad::kernels::cuda
