#include "kernels/cuda/cublas_check.h"

#include "base/error.h"

namespace bytegrad::kernels::cuda {

void throw_cublas_error(cublasStatus_t status, std::string_view call, std::string_view what,
                        std::source_location where) {
  throw Error(concat(what, ": ", call, " failed at ", where.file_name(), ':', where.line(), ": ",
                     cublasGetStatusName(status), " (", cublasGetStatusString(status), ")"));
}

}  // namespace bytegrad::kernels::cuda
