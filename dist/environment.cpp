#include "dist/environment.h"

#include <cstdlib>

#include "dist/single_process.h"
#include "dist/host_staged.h"
#include "kernels/backend.h"
#ifdef BYTEGRAD_WITH_MPI
#include "dist/mpi_collectives.h"
#endif
#ifdef BYTEGRAD_WITH_NCCL
#include "dist/nccl_collectives.h"
#endif

namespace bytegrad::dist {
namespace {

// The integer in variable `name`, or `fallback` when it is not set.
int64_t integer_variable(const char* name, int64_t fallback) {
  const char* text = std::getenv(name);
  if (text == nullptr || *text == '\0') return fallback;
  char* end = nullptr;
  const long long value = std::strtoll(text, &end, 10);
  BYTEGRAD_CHECK(*end == '\0' && value >= 0, "dist: environment variable ", name, "=\"", text,
                 "\" is not a non-negative integer");
  return value;
}

}  // namespace

Launch launch_from_environment() {
  Launch launch;
  const auto read = [&](const char* size, const char* rank, const char* launcher) {
    if (!launch.launcher.empty() || std::getenv(rank) == nullptr) return;
    launch.rank = int(integer_variable(rank, 0));
    launch.world_size = int(integer_variable(size, launch.rank + 1));
    launch.launcher = launcher;
    BYTEGRAD_CHECK(launch.world_size > 0 && launch.rank < launch.world_size, "dist: ", rank, "=", launch.rank,
                   " is not below ", size, "=", launch.world_size);
  };
  read("OMPI_COMM_WORLD_SIZE", "OMPI_COMM_WORLD_RANK", "mpirun");
  read("PMI_SIZE", "PMI_RANK", "pmi");
  read("PMIX_SIZE", "PMIX_RANK", "pmix");
  return launch;
}

double collective_timeout_from_environment() {
  const char* text = std::getenv("BYTEGRAD_DIST_TIMEOUT");
  if (text == nullptr || *text == '\0') return 300;
  char* end = nullptr;
  const double seconds = std::strtod(text, &end);
  BYTEGRAD_CHECK(*end == '\0' && seconds > 0, "dist: BYTEGRAD_DIST_TIMEOUT=\"", text,
                 "\" is not a positive number of seconds");
  return seconds;
}

bool built_with_mpi() {
#ifdef BYTEGRAD_WITH_MPI
  return true;
#else
  return false;
#endif
}

std::unique_ptr<Communicator> single_process_communicator() {
  // The identity serves tensors on any device.
  return std::make_unique<Communicator>(0, 1, std::make_unique<SingleProcessCollectives>(),
                                        std::make_unique<SingleProcessCollectives>());
}

void attach_cuda_transport(Communicator& world, double timeout_seconds) {
  const int devices = kernels::device_count(DeviceKind::CUDA);
  if (devices == 0) return;
#ifdef BYTEGRAD_WITH_NCCL
  if (const int gpus = visible_cuda_devices(); gpus > 0) {
    // One GPU per rank: the rank's place on its machine picks it (every rank must see GPUs alike).
    const int local_rank = int(integer_variable("OMPI_COMM_WORLD_LOCAL_RANK", world.rank()));
    world.attach_cuda_transport(nccl_collectives(world, local_rank % gpus, timeout_seconds));
    return;
  }
#endif
  world.attach_cuda_transport(std::make_unique<HostStagedCollectives>(world.cpu_transport()));
}

std::unique_ptr<Communicator> communicator_from_environment() {
  const Launch launch = launch_from_environment();
  if (launch.launcher.empty()) return single_process_communicator();
#ifdef BYTEGRAD_WITH_MPI
  const double timeout = collective_timeout_from_environment();
  std::unique_ptr<Communicator> world = mpi_communicator({timeout});
  attach_cuda_transport(*world, timeout);
  return world;
#else
  BYTEGRAD_CHECK(launch.world_size == 1, "dist: started by ", launch.launcher, " as rank ", launch.rank, " of ",
                 launch.world_size, ", but this build has no MPI (install libopenmpi-dev and rebuild)");
  return single_process_communicator();
#endif
}

}  // namespace bytegrad::dist
