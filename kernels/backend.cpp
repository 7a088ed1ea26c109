#include "kernels/backend.h"

#include "base/error.h"
#include "kernels/cpu/cpu_backend.h"
#if defined(BYTEGRAD_WITH_CUDA)
#include "kernels/cuda/device_query.h"
#endif

namespace bytegrad::kernels {

Backend& backend_for(Device device) {
  if (device.is_cpu()) return cpu::cpu_backend();
#if defined(BYTEGRAD_WITH_CUDA)
  throw Error(concat("device ", device,
                  ": this version's CUDA backend provides device queries only; tensor ops on "
                  "CUDA arrive with the CUDA backend's kernels"));
#else
  throw Error(concat("device ", device,
                  ": this build has no CUDA backend (configure with -DBYTEGRAD_CUDA=ON where "
                  "nvcc is installed)"));
#endif
}

int device_count(DeviceKind kind) {
  if (kind == DeviceKind::CPU) return 1;
#if defined(BYTEGRAD_WITH_CUDA)
  return cuda::device_count();
#else
  return 0;
#endif
}

}  // namespace bytegrad::kernels
