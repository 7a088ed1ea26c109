// The error a backend throws for a method it does not implement yet, so that callers (and the
// device-parametrised tests, tests/devices.h) can tell "missing on this device" apart from a
// wrong argument and report it as a skip rather than a failure.
#pragma once

#include <string>

#include "base/device.h"
#include "base/error.h"

namespace bytegrad::kernels {

class NotYetImplemented : public Error {
 public:
  // "cuda:0: Backend::gemm is not yet implemented on CUDA"
  NotYetImplemented(Device device, const std::string& method)
      : Error(concat(device, ": Backend::", method, " is not yet implemented on ",
                     device.is_cuda() ? "CUDA" : "this device")) {}
};

}  // namespace bytegrad::kernels
