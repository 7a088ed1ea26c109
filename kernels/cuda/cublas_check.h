// cuBLAS calls return a status instead of throwing; every call site passes it through
// check_cublas, which turns a failure into an Error naming the request, the call, the source
// file and line, and the status by name (CUBLAS_STATUS_INVALID_VALUE, ...).
#pragma once

#include <cublas_v2.h>

#include <source_location>
#include <string>
#include <string_view>

namespace bytegrad::kernels::cuda {

// Throws Error: "<what>: <call> failed at kernels/cuda/gemm.cpp:88: CUBLAS_STATUS_INVALID_VALUE
// (an invalid value was used as an argument)".
[[noreturn]] void throw_cublas_error(cublasStatus_t status, std::string_view call,
                                     std::string_view what, std::source_location where);

// Returns when `status` is CUBLAS_STATUS_SUCCESS; otherwise throws as above, with what =
// describe(), a string that says which request failed (its sizes, leading dimensions, dtype).
// describe runs only on failure, so a call site may format freely without slowing success.
template <typename Describe>
void check_cublas(cublasStatus_t status, std::string_view call, Describe&& describe,
                  std::source_location where = std::source_location::current()) {
  if (status != CUBLAS_STATUS_SUCCESS) [[unlikely]]
    throw_cublas_error(status, call, std::string(describe()), where);
}

}  // namespace bytegrad::kernels::cuda
