#include "kernels/cuda/cuda_compat.h"

#include "base/error.h"
#include "kernels/cuda/device_query.h"

namespace bytegrad::kernels::cuda {

int device_count() {
  int count = 0;
  if (cudaGetDeviceCount(&count) != cudaSuccess) {
    cudaGetLastError();  // clear the sticky "no driver" error
    return 0;
  }
  return count;
}

std::string device_description(int index) {
  cudaDeviceProp properties{};
  const cudaError_t status = cudaGetDeviceProperties(&properties, index);
  BYTEGRAD_CHECK(status == cudaSuccess, "cuda: cannot query device ", index, ": ", cudaGetErrorString(status));
  return concat(properties.name, " (sm_", properties.major, properties.minor, ", ",
                double(properties.totalGlobalMem) / double(1ull << 30), " GiB)");
}

}  // namespace bytegrad::kernels::cuda

namespace bytegrad::kernels::cuda {

const char* backend_variant() {
#if defined(__CUDACC__)
  return "real (nvcc, GPU)";
#else
  return "emulated (g++, CPU fibers; configure with -DBYTEGRAD_CUDA=ON where nvcc and a GPU exist)";
#endif
}

}  // namespace bytegrad::kernels::cuda
