// `bytegrad info`: what this build contains and which devices it sees.
#include <omp.h>

#include <cstdio>

#include "kernels/backend.h"
#include "tools/command_specs.h"
#include "tools/commands.h"

extern "C" char* openblas_get_config();
extern "C" char* openblas_get_corename();

namespace bytegrad::tools {

int run_info(const Args& args) {
  parse_options(command_spec("info"), args);
  std::printf("bytegrad (C++20)\n");
  std::printf("cpu: %d OpenMP threads; BLAS: %s (kernels: %s)\n", omp_get_max_threads(),
              openblas_get_config(), openblas_get_corename());
#if defined(BYTEGRAD_WITH_CUDA)
  std::printf("cuda backend: compiled; %d device(s) visible\n",
              kernels::device_count(DeviceKind::CUDA));
#else
  std::printf("cuda backend: not compiled (configure with -DBYTEGRAD_CUDA=ON where nvcc exists)\n");
#endif
  return 0;
}

}  // namespace bytegrad::tools
