// The NCCL transport for CUDA tensors (built with the CUDA backend when CMake finds NCCL): one
// rank per GPU, as under `mpirun --map-by ppr:8:node`. Rank 0 makes the NCCL unique id and the
// CPU communicator (MPI) broadcasts it, so NCCL rides on the job MPI launched.
//
// Each call is guarded as the MPI transport's are: the ranks first agree on the operation and the
// sizes through the CPU communicator (a disagreement throws Error on every rank), and the NCCL
// operation is then polled against the collective timeout; past it the NCCL communicator is
// aborted and Error thrown, so that the rank leaves and mpirun ends the job. The device is
// synchronised before each operation (the tensors' producers may run on any stream) and NCCL runs
// on a stream of its own that the call waits for: collectives are blocking, like the MPI ones.
#pragma once

#include <memory>

#include "dist/collectives.h"
#include "dist/communicator.h"

namespace bytegrad::dist {

// The number of CUDA devices this process sees (0 without a driver or a GPU).
int visible_cuda_devices();

// The NCCL transport of `cpu_world`'s ranks, this rank on CUDA device `device`; every rank must
// call it at the same point. `cpu_world` must outlive it (it carries the headers). Throws Error
// naming the NCCL or CUDA failure.
std::unique_ptr<Collectives> nccl_collectives(Communicator& cpu_world, int device, double timeout_seconds);

}  // namespace bytegrad::dist
