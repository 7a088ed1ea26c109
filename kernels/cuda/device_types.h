// bytegrad's storage types as CUDA kernels name them. base/half.h's BFloat16 and Float16 hold the
// same 16 bits as CUDA's __nv_bfloat16 and __half, so a buffer of one is a buffer of the other:
// host code visits a DType (base/dtype.h's visit_dtype) and hands kernels device_cast pointers.
#pragma once

#include <cuda_bf16.h>
#include <cuda_fp16.h>

#include "base/dtype.h"

namespace bytegrad::kernels::cuda {

template <typename T> struct DeviceTypeOf { using type = T; };
template <> struct DeviceTypeOf<BFloat16> { using type = __nv_bfloat16; };
template <> struct DeviceTypeOf<Float16> { using type = __half; };
template <typename T> using device_type = typename DeviceTypeOf<T>::type;

static_assert(sizeof(__nv_bfloat16) == sizeof(BFloat16) && sizeof(__half) == sizeof(Float16));

// A buffer of storage type T as its kernels' type.
template <typename T>
device_type<T>* device_cast(void* data) { return static_cast<device_type<T>*>(data); }
template <typename T>
const device_type<T>* device_cast(const void* data) { return static_cast<const device_type<T>*>(data); }

}  // namespace bytegrad::kernels::cuda
