// The one header a `.cu` source of ours includes for CUDA itself. Under nvcc it is CUDA; under
// g++ (the emulated build, BYTEGRAD_CUDA_EMULATION) it is kernels/cuda/emulation/emulation.h,
// which runs the same kernels on CPU fibers. Either way a kernel source has:
//   - CUDA's keywords, built-in variables, barriers, warp intrinsics, atomics and math;
//   - __half and __nv_bfloat16 (CUDA's own headers, which g++ compiles too);
//   - BYTEGRAD_DYNAMIC_SHARED(type, name): the launch's dynamic shared memory as `type* name`;
//   - launch(kernel, grid, block, dynamic_shared_bytes, stream, args...) in
//     bytegrad::kernels::cuda instead of kernel<<<grid, block, dynamic_shared_bytes, stream>>>.
// Code that only a GPU can run (tensor cores, TMA, inline PTX) goes behind
// `#if defined(__CUDACC__)`, beside a portable version it is tested against.
#pragma once

#if defined(__CUDACC__)

#include <cuda_bf16.h>
#include <cuda_fp16.h>
#include <cuda_runtime.h>

#include <utility>

// One untyped array serves every kernel of a source file: CUDA wants a single declaration of
// each extern __shared__ name, whatever the element type each kernel views it as.
#define BYTEGRAD_DYNAMIC_SHARED(type, name)                                \
  extern __shared__ __align__(16) unsigned char bytegrad_dynamic_shared[]; \
  type* name = reinterpret_cast<type*>(bytegrad_dynamic_shared)

namespace bytegrad::kernels::cuda {

template <typename... Params, typename... Args>
void launch(void (*kernel)(Params...), dim3 grid, dim3 block, size_t dynamic_shared_bytes,
            cudaStream_t stream, Args&&... args) {
  kernel<<<grid, block, dynamic_shared_bytes, stream>>>(std::forward<Args>(args)...);
}

}  // namespace bytegrad::kernels::cuda

#else

#include "kernels/cuda/emulation/emulation.h"

#endif
