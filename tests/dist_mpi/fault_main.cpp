// A job whose rank 1 fails in the way the argument names, while rank 0 waits in an all_reduce:
//   die    rank 1 exits at once (status 3), without finalizing MPI
//   kill   rank 1 is killed by SIGKILL
//   throw  rank 1 leaves main by an exception, as a failed command does
//   stall  rank 1 stops calling collectives (sleeps), so only rank 0's watchdog can end the job
// tests/dist_mpi/fault_test.sh checks that each ends the whole job with an error, in bounded time.
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <thread>

#include "dist/mpi_collectives.h"
#include "tensor/creation.h"

int main(int argc, char** argv) {
  using namespace bytegrad;
  if (argc != 3) {
    std::fprintf(stderr, "usage: dist_fault die|kill|throw|stall TIMEOUT_SECONDS\n");
    return 64;
  }
  const std::string mode = argv[1];
  try {
    const auto world = dist::mpi_communicator({.timeout_seconds = std::atof(argv[2])});
    const Tensor x = ones({8});
    world->all_reduce(x);  // every rank is up
    if (world->rank() == 1) {
      if (mode == "die") std::_Exit(3);
      if (mode == "kill") std::raise(SIGKILL);
      if (mode == "throw") throw Error("rank 1 fails on purpose");
      if (mode == "stall") std::this_thread::sleep_for(std::chrono::hours(1));
    }
    world->all_reduce(x);
    std::printf("rank %d finished normally\n", world->rank());
    return 0;
  } catch (const std::exception& error) {
    std::fprintf(stderr, "error: %s\n", error.what());
    return 1;
  }
}
