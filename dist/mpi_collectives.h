// The MPI transport for CPU tensors (Open MPI under `mpirun`), built when CMake finds MPI.
//
// Every collective is guarded in two ways, so that a broken job ends instead of hanging:
//  - A header first: each rank contributes (operation, dtype, element count, root or reduction)
//    to an all-gather, and every rank compares them before any data moves. A rank that calls a
//    different operation or passes a different size makes every rank throw Error naming both
//    calls (e.g. "rank 0: all_reduce of 10 float32 elements, rank 1: all_reduce of 12").
//  - A watchdog: each operation runs non-blocking and is polled against a deadline
//    (MpiOptions::timeout_seconds, BYTEGRAD_DIST_TIMEOUT in the environment, 300 s unless set).
//    When a rank dies, or stops calling collectives, the others print which operation timed
//    out on which rank and abort the job (MPI_Abort) instead of waiting for ever.
// MPI calls return their errors (MPI_ERRORS_RETURN on a duplicate of MPI_COMM_WORLD), which
// become Error with MPI's own text. A process that leaves by an exception skips MPI_Finalize,
// so that mpirun sees it exit without finalizing and ends the other ranks.
#pragma once

#include <memory>

#include "dist/communicator.h"

namespace bytegrad::dist {

struct MpiOptions {
  double timeout_seconds = 300;  // longest wait for one collective before the job is aborted
};

// Initialises MPI (once per process; MPI cannot be initialised again after it is finalized)
// and returns the communicator of MPI_COMM_WORLD, which finalizes MPI when destroyed. Throws
// Error when a communicator from here is alive already or MPI fails to start.
std::unique_ptr<Communicator> mpi_communicator(const MpiOptions& options);

}  // namespace bytegrad::dist
