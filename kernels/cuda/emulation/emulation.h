// CUDA for g++: what a `.cu` source of ours needs from CUDA, for host compilers. Included through
// kernels/cuda/cuda_compat.h, never directly. With it, the same kernel source compiles with nvcc
// for a GPU and with g++ for the CPU, where launches run on fibers (execution.h) and the runtime
// API is a checked stand-in (runtime.h). Types come from CUDA's own headers, which work in host
// code: dim3/uint3 (vector_types.h), cudaError_t and the runtime's declarations
// (cuda_runtime_api.h), __half (cuda_fp16.h) and __nv_bfloat16 (cuda_bf16.h) with their host
// conversions. No nvcc, libcudart or GPU is needed.
//
// What maps to what:
//   __global__, __device__, __host__   nothing (ordinary functions); __forceinline__: inline
//   __shared__                         `static thread_local`: one copy per OS thread, and a block
//                                      runs on one OS thread from start to end, so one per block
//   BYTEGRAD_DYNAMIC_SHARED(T, name)   T* name = the launch's dynamic shared memory
//   threadIdx, blockIdx, blockDim,     thread_local variables the scheduler sets per fiber
//   gridDim; warpSize                  32
//   __syncthreads(_count/_and/_or)     the block barrier
//   __syncwarp, __shfl*_sync,          warp barriers over the mask's lanes (each lane of the mask
//   __ballot_sync, __any/__all_sync    must arrive; a lane that has returned is an error)
//   atomicAdd/Sub/Max/Min/Exch/CAS/    std::atomic_ref on the types CUDA offers them for
//   And/Or/Xor                         (blocks run in parallel)
//   launch(kernel, grid, block,        the emulated kernel<<<grid, block, shared, stream>>>
//          shared, stream, args...)    (kernels/cuda/cuda_compat.h has the nvcc form)
// Whatever has no CPU meaning (tensor-core mma/wgmma, TMA, cp.async, inline PTX) is not here:
// such code lives in GPU-only variants behind `#if defined(__CUDACC__)`.
#pragma once

#include <cuda_bf16.h>
#include <cuda_fp16.h>
#include <cuda_runtime_api.h>
#include <vector_types.h>

#include <atomic>
#include <cmath>
#include <cstdint>
#include <cstring>
#include <source_location>
#include <tuple>
#include <type_traits>
#include <utility>

#include "kernels/cuda/emulation/execution.h"
#include "kernels/cuda/emulation/runtime.h"

// The execution-space keywords, which CUDA's host_defines.h turns into attributes g++ ignores.
#undef __global__
#undef __device__
#undef __host__
#undef __shared__
#undef __forceinline__
#define __global__
#define __device__
#define __host__
#define __forceinline__ inline __attribute__((always_inline))
#define __shared__ static thread_local

// The launch's dynamic shared memory as an array of `type` (`extern __shared__ type name[]` on a
// GPU, where the array must be declared at the top of the kernel).
#define BYTEGRAD_DYNAMIC_SHARED(type, name) \
  type* name = static_cast<type*>(::bytegrad::kernels::cuda::emulation::dynamic_shared_memory())

constexpr int warpSize = 32;

// ---- Barriers -------------------------------------------------------------------------------

inline void __syncthreads(std::source_location where = std::source_location::current()) {
  ::bytegrad::kernels::cuda::emulation::block_barrier(0, where);
}
inline int __syncthreads_count(int predicate, std::source_location where = std::source_location::current()) {
  return ::bytegrad::kernels::cuda::emulation::block_barrier(predicate, where);
}
inline int __syncthreads_and(int predicate, std::source_location where = std::source_location::current()) {
  return ::bytegrad::kernels::cuda::emulation::block_barrier(predicate, where) ==
         int(blockDim.x * blockDim.y * blockDim.z);
}
inline int __syncthreads_or(int predicate, std::source_location where = std::source_location::current()) {
  return ::bytegrad::kernels::cuda::emulation::block_barrier(predicate, where) != 0;
}
// Memory fences: every emulated thread of a block shares one OS thread, and blocks meet only
// through atomics, so a sequentially consistent fence covers what CUDA's fences promise.
inline void __threadfence() { std::atomic_thread_fence(std::memory_order_seq_cst); }
inline void __threadfence_block() { std::atomic_thread_fence(std::memory_order_seq_cst); }

// ---- Warp intrinsics --------------------------------------------------------------------------

namespace bytegrad::kernels::cuda::emulation {

// Runs a shuffle on any trivially copyable value of up to 8 bytes (CUDA's int, unsigned, long
// long, float, double, __half, __half2, __nv_bfloat16, ...), carried as raw bytes.
template <typename T>
T shuffle(WarpOpKind kind, unsigned mask, T value, int argument, int width,
          const std::source_location& where) {
  static_assert(std::is_trivially_copyable_v<T> && sizeof(T) <= 8,
                "warp shuffles take values of at most 8 bytes");
  WarpOp op{kind, mask, 0, argument, width};
  std::memcpy(&op.value, &value, sizeof(T));
  const uint64_t bits = warp_operation(op, where);
  T result;
  std::memcpy(static_cast<void*>(&result), &bits, sizeof(T));
  return result;
}

}  // namespace bytegrad::kernels::cuda::emulation

inline void __syncwarp(unsigned mask = 0xffffffffu, std::source_location where = std::source_location::current()) {
  using namespace ::bytegrad::kernels::cuda::emulation;
  warp_operation(WarpOp{WarpOpKind::Sync, mask, 0, 0, 32}, where);
}

template <typename T>
T __shfl_sync(unsigned mask, T value, int source_lane, int width = warpSize,
              std::source_location where = std::source_location::current()) {
  using namespace ::bytegrad::kernels::cuda::emulation;
  return shuffle(WarpOpKind::Shuffle, mask, value, source_lane, width, where);
}
template <typename T>
T __shfl_up_sync(unsigned mask, T value, unsigned delta, int width = warpSize,
                 std::source_location where = std::source_location::current()) {
  using namespace ::bytegrad::kernels::cuda::emulation;
  return shuffle(WarpOpKind::ShuffleUp, mask, value, int(delta), width, where);
}
template <typename T>
T __shfl_down_sync(unsigned mask, T value, unsigned delta, int width = warpSize,
                   std::source_location where = std::source_location::current()) {
  using namespace ::bytegrad::kernels::cuda::emulation;
  return shuffle(WarpOpKind::ShuffleDown, mask, value, int(delta), width, where);
}
template <typename T>
T __shfl_xor_sync(unsigned mask, T value, int lane_mask, int width = warpSize,
                  std::source_location where = std::source_location::current()) {
  using namespace ::bytegrad::kernels::cuda::emulation;
  return shuffle(WarpOpKind::ShuffleXor, mask, value, lane_mask, width, where);
}

inline unsigned __ballot_sync(unsigned mask, int predicate,
                              std::source_location where = std::source_location::current()) {
  using namespace ::bytegrad::kernels::cuda::emulation;
  return unsigned(warp_operation(WarpOp{WarpOpKind::Ballot, mask, uint64_t(predicate != 0), 0, 32}, where));
}
inline int __any_sync(unsigned mask, int predicate, std::source_location where = std::source_location::current()) {
  using namespace ::bytegrad::kernels::cuda::emulation;
  return int(warp_operation(WarpOp{WarpOpKind::Any, mask, uint64_t(predicate != 0), 0, 32}, where));
}
inline int __all_sync(unsigned mask, int predicate, std::source_location where = std::source_location::current()) {
  using namespace ::bytegrad::kernels::cuda::emulation;
  return int(warp_operation(WarpOp{WarpOpKind::All, mask, uint64_t(predicate != 0), 0, 32}, where));
}

// ---- Atomics: exactly the overloads CUDA has, so code that builds here builds with nvcc --------

namespace bytegrad::kernels::cuda::emulation {

template <typename T, typename Update>
T atomic_update(T* address, Update update) {  // compare-and-swap loop: returns the old value
  std::atomic_ref<T> target(*address);
  T old = target.load(std::memory_order_relaxed);
  while (!target.compare_exchange_weak(old, update(old), std::memory_order_relaxed)) {
  }
  return old;
}

// 16-bit floats: a compare-and-swap on their bits, the arithmetic in float.
template <typename Half>
Half atomic_add_half(Half* address, Half value) {
  static_assert(sizeof(Half) == sizeof(unsigned short));
  unsigned short* bits = reinterpret_cast<unsigned short*>(address);
  const unsigned short old = atomic_update(bits, [&](unsigned short current) {
    Half h;
    std::memcpy(static_cast<void*>(&h), &current, sizeof h);
    const Half sum = Half(float(h) + float(value));
    unsigned short out;
    std::memcpy(&out, &sum, sizeof out);
    return out;
  });
  Half result;
  std::memcpy(static_cast<void*>(&result), &old, sizeof result);
  return result;
}

}  // namespace bytegrad::kernels::cuda::emulation

#define BYTEGRAD_EMULATED_ATOMIC(name, type, expression)                              \
  inline type name(type* address, type value) {                                       \
    return ::bytegrad::kernels::cuda::emulation::atomic_update(                        \
        address, [value](type old) { return static_cast<type>(expression); });         \
  }
BYTEGRAD_EMULATED_ATOMIC(atomicAdd, int, old + value)
BYTEGRAD_EMULATED_ATOMIC(atomicAdd, unsigned int, old + value)
BYTEGRAD_EMULATED_ATOMIC(atomicAdd, unsigned long long, old + value)
BYTEGRAD_EMULATED_ATOMIC(atomicAdd, float, old + value)
BYTEGRAD_EMULATED_ATOMIC(atomicAdd, double, old + value)
BYTEGRAD_EMULATED_ATOMIC(atomicSub, int, old - value)
BYTEGRAD_EMULATED_ATOMIC(atomicSub, unsigned int, old - value)
BYTEGRAD_EMULATED_ATOMIC(atomicExch, int, value)
BYTEGRAD_EMULATED_ATOMIC(atomicExch, unsigned int, value)
BYTEGRAD_EMULATED_ATOMIC(atomicExch, unsigned long long, value)
BYTEGRAD_EMULATED_ATOMIC(atomicExch, float, value)
BYTEGRAD_EMULATED_ATOMIC(atomicMax, int, old > value ? old : value)
BYTEGRAD_EMULATED_ATOMIC(atomicMax, unsigned int, old > value ? old : value)
BYTEGRAD_EMULATED_ATOMIC(atomicMax, long long, old > value ? old : value)
BYTEGRAD_EMULATED_ATOMIC(atomicMax, unsigned long long, old > value ? old : value)
BYTEGRAD_EMULATED_ATOMIC(atomicMin, int, old < value ? old : value)
BYTEGRAD_EMULATED_ATOMIC(atomicMin, unsigned int, old < value ? old : value)
BYTEGRAD_EMULATED_ATOMIC(atomicMin, long long, old < value ? old : value)
BYTEGRAD_EMULATED_ATOMIC(atomicMin, unsigned long long, old < value ? old : value)
BYTEGRAD_EMULATED_ATOMIC(atomicAnd, int, old & value)
BYTEGRAD_EMULATED_ATOMIC(atomicAnd, unsigned int, old & value)
BYTEGRAD_EMULATED_ATOMIC(atomicAnd, unsigned long long, old & value)
BYTEGRAD_EMULATED_ATOMIC(atomicOr, int, old | value)
BYTEGRAD_EMULATED_ATOMIC(atomicOr, unsigned int, old | value)
BYTEGRAD_EMULATED_ATOMIC(atomicOr, unsigned long long, old | value)
BYTEGRAD_EMULATED_ATOMIC(atomicXor, int, old ^ value)
BYTEGRAD_EMULATED_ATOMIC(atomicXor, unsigned int, old ^ value)
BYTEGRAD_EMULATED_ATOMIC(atomicXor, unsigned long long, old ^ value)
#undef BYTEGRAD_EMULATED_ATOMIC

inline __half atomicAdd(__half* address, __half value) {
  return ::bytegrad::kernels::cuda::emulation::atomic_add_half(address, value);
}
inline __nv_bfloat16 atomicAdd(__nv_bfloat16* address, __nv_bfloat16 value) {
  return ::bytegrad::kernels::cuda::emulation::atomic_add_half(address, value);
}

#define BYTEGRAD_EMULATED_CAS(type)                                                      \
  inline type atomicCAS(type* address, type compare, type value) {                       \
    std::atomic_ref<type>(*address).compare_exchange_strong(compare, value);             \
    return compare; /* the old value, whether or not it was replaced */                  \
  }
BYTEGRAD_EMULATED_CAS(int)
BYTEGRAD_EMULATED_CAS(unsigned int)
BYTEGRAD_EMULATED_CAS(unsigned long long)
BYTEGRAD_EMULATED_CAS(unsigned short)
#undef BYTEGRAD_EMULATED_CAS

// ---- Device math that CUDA offers beyond <cmath> ----------------------------------------------

inline float rsqrtf(float x) { return 1.0f / std::sqrt(x); }
inline double rsqrt(double x) { return 1.0 / std::sqrt(x); }
inline float __expf(float x) { return std::exp(x); }
inline float __logf(float x) { return std::log(x); }
inline float __fdividef(float a, float b) { return a / b; }
inline float __saturatef(float x) { return x < 0.0f ? 0.0f : (x > 1.0f ? 1.0f : x); }
template <typename T> T __ldg(const T* address) { return *address; }
inline int __popc(unsigned x) { return __builtin_popcount(x); }
inline int __ffs(int x) { return __builtin_ffs(x); }
inline int __clz(int x) { return x == 0 ? 32 : __builtin_clz(unsigned(x)); }

// ---- Launching --------------------------------------------------------------------------------

namespace bytegrad::kernels::cuda {

// kernel<<<grid, block, dynamic_shared_bytes, stream>>>(args...): every emulated thread calls the
// kernel with its own copy of the arguments (converted to the parameters' types once).
template <typename... Params, typename... Args>
void launch(void (*kernel)(Params...), dim3 grid, dim3 block, size_t dynamic_shared_bytes,
            cudaStream_t stream, Args&&... args) {
  static_assert(sizeof...(Params) == sizeof...(Args), "launch: wrong number of kernel arguments");
  using Arguments = std::tuple<std::decay_t<Params>...>;
  struct Call {
    void (*kernel)(Params...);
    Arguments arguments;
  };
  const Call call{kernel, Arguments(std::forward<Args>(args)...)};
  emulation::run_grid(
      emulation::LaunchShape{grid, block, dynamic_shared_bytes, stream},
      [](const void* context) {
        const Call& c = *static_cast<const Call*>(context);
        std::apply(c.kernel, c.arguments);
      },
      &call);
}

}  // namespace bytegrad::kernels::cuda
