// The MPI communicator of a test program run under mpirun (tests/dist_mpi/mpirun.sh): made on
// first use, finalized when the program exits.
#pragma once

#include <cstdlib>
#include <memory>

#include "dist/environment.h"
#include "dist/mpi_collectives.h"
#include "kernels/backend.h"

namespace bytegrad::testing {

// With BYTEGRAD_TEST_CUDA_TRANSPORT set (ctest cuda_dist_mpi) the world also carries CUDA tensors
// (dist::attach_cuda_transport: NCCL on GPUs, the host around the emulated device); otherwise it
// carries CPU tensors only, so that ranks sharing one GPU never start NCCL.
inline dist::Communicator& mpi_world() {
  static const std::unique_ptr<dist::Communicator> world = [] {
    std::unique_ptr<dist::Communicator> made = dist::mpi_communicator({.timeout_seconds = 60});
    if (std::getenv("BYTEGRAD_TEST_CUDA_TRANSPORT")) dist::attach_cuda_transport(*made, 60);
    return made;
  }();
  return *world;
}

// The CUDA device this rank's collectives use: its place on its machine, modulo the devices.
inline Device rank_cuda_device() {
  const char* local = std::getenv("OMPI_COMM_WORLD_LOCAL_RANK");
  const int devices = kernels::device_count(DeviceKind::CUDA);
  return Device{DeviceKind::CUDA, (local ? std::atoi(local) : 0) % (devices > 0 ? devices : 1)};
}

}  // namespace bytegrad::testing
