// Which communicator a process gets, read from what the launcher put in its environment: under
// `mpirun` (OMPI_COMM_WORLD_SIZE / OMPI_COMM_WORLD_RANK), or another MPI launcher (PMI_SIZE /
// PMI_RANK, PMIX_RANK), the MPI communicator; started plainly, the single-process one, which
// needs no MPI.
//
//   BYTEGRAD_DIST_TIMEOUT=SECONDS  the longest wait for one collective before the job is aborted
//                                  (dist/mpi_collectives.h), 300 unless set
#pragma once

#include <memory>
#include <string>

#include "dist/communicator.h"

namespace bytegrad::dist {

// What the launcher says about this process.
struct Launch {
  int world_size = 1;
  int rank = 0;
  std::string launcher;  // "mpirun", "pmi", "pmix", or empty when started plainly
};

// Throws Error naming the variable when one of them is set but not a number in range.
Launch launch_from_environment();

// The collective timeout in seconds: BYTEGRAD_DIST_TIMEOUT, or 300. Throws Error naming the
// variable when it is not a positive number.
double collective_timeout_from_environment();

// True when this build carries the MPI transport.
bool built_with_mpi();

// The MPI communicator when a launcher started this process, the single-process one otherwise.
// Built with NCCL on a machine with GPUs, the MPI communicator also carries CUDA tensors, each rank
// on GPU OMPI_COMM_WORLD_LOCAL_RANK (modulo the GPUs it sees). Throws Error when launched by MPI
// but built without it (every rank would train alone).
std::unique_ptr<Communicator> communicator_from_environment();

// Gives `world` a transport for CUDA tensors when this process sees CUDA devices: NCCL where this
// build has it (one GPU per rank, chosen by the rank's place on its machine), otherwise copies
// through the host around the CPU transport (dist/host_staged.h). Does nothing without devices.
void attach_cuda_transport(Communicator& world, double timeout_seconds);

// The communicator of one process alone.
std::unique_ptr<Communicator> single_process_communicator();

}  // namespace bytegrad::dist
