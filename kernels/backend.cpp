#include "kernels/backend.h"

#include "base/error.h"
#include "kernels/cpu/cpu_backend.h"

namespace bytegrad::kernels {

Backend& backend_for(Device device) {
  if (device.is_cpu()) return cpu::cpu_backend();
#if defined(BYTEGRAD_WITH_CUDA)
  throw Error(cat("device ", device,
                  ": this version's CUDA backend provides device queries only; tensor ops on "
                  "CUDA arrive with the CUDA backend's kernels"));
#else
  throw Error(cat("device ", device,
                  ": this build has no CUDA backend (configure with -DBYTEGRAD_CUDA=ON where "
                  "nvcc is installed)"));
#endif
}

}  // namespace bytegrad::kernels
