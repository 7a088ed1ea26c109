// The type a kernel computes in for each storage type, as on the CPU (base/dtype.h's compute_t):
// half types (__half, __nv_bfloat16) are read into float, computed on in float and rounded once
// when stored; float and double compute in themselves. Also the few math functions row kernels
// need, overloaded on float and double so that a template picks expf or exp by its type.
#pragma once

#include <cmath>

#include "kernels/cuda/cuda_compat.h"

namespace bytegrad::kernels::cuda {

template <typename T> struct ComputeOf { using type = T; };
template <> struct ComputeOf<__half> { using type = float; };
template <> struct ComputeOf<__nv_bfloat16> { using type = float; };
template <typename T> using compute_of = typename ComputeOf<T>::type;

template <typename T>
__device__ __forceinline__ compute_of<T> load(const T& value) { return compute_of<T>(value); }

// Rounds once, from the compute type (or from double through float for half types).
template <typename T, typename C>
__device__ __forceinline__ T store_as(C value) {
  if constexpr (sizeof(T) == 2) return T(float(value));
  else return T(value);
}

__device__ __forceinline__ float exp_of(float x) { return expf(x); }
__device__ __forceinline__ double exp_of(double x) { return exp(x); }
__device__ __forceinline__ float log_of(float x) { return logf(x); }
__device__ __forceinline__ double log_of(double x) { return log(x); }
__device__ __forceinline__ float sqrt_of(float x) { return sqrtf(x); }
__device__ __forceinline__ double sqrt_of(double x) { return sqrt(x); }
__device__ __forceinline__ float log1p_of(float x) { return log1pf(x); }
__device__ __forceinline__ double log1p_of(double x) { return log1p(x); }

// inf - inf and NaN - NaN are NaN, x - x is 0 for every finite x: a test that needs no
// host-only library function.
template <typename C>
__device__ __forceinline__ bool is_finite(C x) { return x - x == C(0); }

template <typename C>
__device__ __forceinline__ C negative_infinity() { return C(-INFINITY); }

}  // namespace bytegrad::kernels::cuda
