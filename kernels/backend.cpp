#include "kernels/backend.h"

#include "base/error.h"
#include "kernels/cpu/cpu_backend.h"
#if defined(BYTEGRAD_WITH_CUDA)
#include "kernels/cuda/cuda_backend.h"
#include "kernels/cuda/device_query.h"
#endif

namespace bytegrad::kernels {

namespace {

// The error for a device index this process does not have, e.g. cpu:1 or cuda:3 on a machine
// with two GPUs.
Error no_such_device(Device device) {
  const int count = device_count(device.kind);
  const char* kind = device.is_cpu() ? "cpu" : "cuda";
  return Error(concat("device ", kind, ':', device.index, ": no such device; this process has ",
                      count, ' ', kind, count == 1 ? " device" : " devices",
                      count == 1   ? std::string(" (index 0)")
                      : count > 1  ? concat(" (indices 0..", count - 1, ")")
                                   : std::string()));
}

}  // namespace

Backend& backend_for(Device device) {
  if (device.is_cpu()) {
    if (device.index == 0) return cpu::cpu_backend();  // the process's one CPU backend
    throw no_such_device(device);
  }
#if defined(BYTEGRAD_WITH_CUDA)
  if (device.index < 0 || device.index >= device_count(DeviceKind::CUDA)) throw no_such_device(device);
  return cuda::cuda_backend(device.index);
#else
  throw Error(concat("device ", device,
                  ": this build has no CUDA backend (configure with -DBYTEGRAD_CUDA=ON where "
                  "nvcc is installed, or -DBYTEGRAD_CUDA_EMULATION=ON to run its kernels on the CPU)"));
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
