// The MPI communicator of a test program run under mpirun (tests/dist_mpi/mpirun.sh): made on
// first use, finalized when the program exits.
#pragma once

#include <memory>

#include "dist/mpi_collectives.h"

namespace bytegrad::testing {

inline dist::Communicator& mpi_world() {
  static const std::unique_ptr<dist::Communicator> world = dist::mpi_communicator({.timeout_seconds = 60});
  return *world;
}

}  // namespace bytegrad::testing
