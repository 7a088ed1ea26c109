// CUDA device discovery: how many GPUs this process can see, and what they are.
#pragma once

#include <string>

namespace bytegrad::kernels::cuda {

// 0 when no driver or device is present (never throws).
int device_count();
// "NVIDIA H100 80GB HBM3 (sm_90, 79.1 GiB)"; throws Error for an invalid index.
std::string device_description(int index);
// How this build's CUDA backend runs kernels: "real (nvcc, GPU)" or "emulated (g++, CPU fibers)".
const char* backend_variant();

}  // namespace bytegrad::kernels::cuda
