#include "kernels/cuda/cublas_check.h"

#include <cuda_runtime_api.h>

#include "base/error.h"
#if defined(BYTEGRAD_CUDA_EMULATION)
#include "kernels/cuda/emulation/runtime.h"
#endif

namespace bytegrad::kernels::cuda {

void throw_cublas_error(cublasStatus_t status, std::string_view call, std::string_view what,
                        std::source_location where) {
  std::string detail;
#if defined(BYTEGRAD_CUDA_EMULATION)
  // The stand-in cuBLAS fails an execution with the runtime's last error set to a sentence
  // saying which matrix left device memory; take it, and clear the error as cudaGetLastError does.
  if (status == CUBLAS_STATUS_EXECUTION_FAILED) {
    detail = emulation::last_error_detail();
    cudaGetLastError();
  }
#endif
  throw Error(concat(what, ": ", call, " failed at ", where.file_name(), ':', where.line(), ": ",
                     cublasGetStatusName(status), " (", cublasGetStatusString(status), ")",
                     detail.empty() ? "" : ": ", detail));
}

}  // namespace bytegrad::kernels::cuda
