#include "kernels/cuda/cuda_check.h"

#include <string>

#include "base/error.h"
#if !defined(__CUDACC__) && defined(BYTEGRAD_CUDA_EMULATION)
#include "kernels/cuda/emulation/runtime.h"
#endif

namespace bytegrad::kernels::cuda {
namespace {

std::string detail() {
#if !defined(__CUDACC__) && defined(BYTEGRAD_CUDA_EMULATION)
  const std::string text = emulation::last_error_detail();
  return text.empty() ? text : ": " + text;
#else
  return "";
#endif
}

}  // namespace

void check_status(cudaError_t status, const char* call, const char* file, int line) {
  if (status == cudaSuccess) [[likely]] return;
  const std::string explanation = detail();
  cudaGetLastError();  // clear it: it has been reported
  throw Error(concat(file, ':', line, ": ", call, " failed: ", cudaGetErrorName(status), " (",
                     cudaGetErrorString(status), ")", explanation));
}

void check_launch(const char* kernel, const char* file, int line) {
  const cudaError_t status = cudaPeekAtLastError();
  if (status == cudaSuccess) [[likely]] return;
  const std::string explanation = detail();
  cudaGetLastError();
  throw Error(concat(file, ':', line, ": launch of ", kernel, " failed: ", cudaGetErrorName(status), " (",
                     cudaGetErrorString(status), ")", explanation));
}

}  // namespace bytegrad::kernels::cuda
