// The communicator as one process sees it: every collective is the identity, and arguments
// that no transport could serve are errors naming the call.
#include <doctest/doctest.h>

#include <cstdlib>

#include "dist/environment.h"
#include "tensor/creation.h"
#include "tensor/views.h"

namespace bytegrad::dist {
namespace {

Tensor values(std::vector<float> data) { return from_vector(data, {int64_t(data.size())}); }

}  // namespace

TEST_CASE("a single process's collectives leave values as they are") {
  const std::unique_ptr<Communicator> world = single_process_communicator();
  CHECK(world->rank() == 0);
  CHECK(world->world_size() == 1);
  CHECK(world->is_main());
  const Tensor x = values({1, 2, 3});
  world->all_reduce(x, ReduceOp::Sum);
  world->all_reduce(x, ReduceOp::Average);
  world->broadcast(x, 0);
  world->barrier();
  CHECK(x.to_vector<float>() == std::vector<float>{1, 2, 3});
  const Tensor out = zeros({3});
  world->reduce_scatter(x, out, ReduceOp::Average);
  CHECK(out.to_vector<float>() == std::vector<float>{1, 2, 3});
  const Tensor gathered = zeros({3});
  world->all_gather(values({4, 5, 6}), gathered);
  CHECK(gathered.to_vector<float>() == std::vector<float>{4, 5, 6});
  CHECK(world->average(2.5) == 2.5);
  CHECK(world->sum(int64_t(7)) == 7);
}

TEST_CASE("collective arguments are checked before any transport sees them") {
  const std::unique_ptr<Communicator> world = single_process_communicator();
  const Tensor matrix = zeros({2, 3});
  CHECK_THROWS_WITH_AS(world->all_reduce(ops::transpose(matrix, 0, 1)), doctest::Contains("not contiguous"), Error);
  CHECK_THROWS_WITH_AS(world->all_reduce(zeros({2}, {kInt64, kCPU}), ReduceOp::Average),
                       doctest::Contains("average of integer tensors"), Error);
  CHECK_THROWS_WITH_AS(world->all_reduce(zeros({2}, {kBFloat16, kCPU})), doctest::Contains("cannot reduce bfloat16"),
                       Error);
  CHECK_THROWS_WITH_AS(world->reduce_scatter(zeros({4}), zeros({3})), doctest::Contains("1 ranks x the output's 3"),
                       Error);
  CHECK_THROWS_WITH_AS(world->all_gather(zeros({2}), zeros({2}, {kFloat64, kCPU})), doctest::Contains("differ"), Error);
  CHECK_THROWS_WITH_AS(world->broadcast(zeros({2}), 1), doctest::Contains("root 1 is not a rank of 1"), Error);
}

TEST_CASE("a communicator is built only for a rank inside its world") {
  CHECK_THROWS_WITH_AS(Communicator(2, 2, nullptr), doctest::Contains("rank 2 is not in a world of 2"), Error);
  CHECK_THROWS_WITH_AS(Communicator(0, 1, nullptr), doctest::Contains("needs a transport for CPU tensors"), Error);
}

TEST_CASE("the launch is read from the launcher's environment variables") {
  unsetenv("OMPI_COMM_WORLD_RANK");
  unsetenv("OMPI_COMM_WORLD_SIZE");
  unsetenv("PMI_RANK");
  unsetenv("PMIX_RANK");
  CHECK(launch_from_environment().launcher.empty());
  CHECK(launch_from_environment().world_size == 1);
  setenv("OMPI_COMM_WORLD_SIZE", "4", 1);
  setenv("OMPI_COMM_WORLD_RANK", "3", 1);
  const Launch launch = launch_from_environment();
  CHECK(launch.launcher == "mpirun");
  CHECK(launch.rank == 3);
  CHECK(launch.world_size == 4);
  setenv("OMPI_COMM_WORLD_RANK", "4", 1);
  CHECK_THROWS_WITH_AS(launch_from_environment(), doctest::Contains("OMPI_COMM_WORLD_RANK=4 is not below"), Error);
  setenv("OMPI_COMM_WORLD_RANK", "one", 1);
  CHECK_THROWS_WITH_AS(launch_from_environment(), doctest::Contains("OMPI_COMM_WORLD_RANK=\"one\""), Error);
  unsetenv("OMPI_COMM_WORLD_RANK");
  unsetenv("OMPI_COMM_WORLD_SIZE");
}

TEST_CASE("the collective timeout comes from BYTEGRAD_DIST_TIMEOUT") {
  unsetenv("BYTEGRAD_DIST_TIMEOUT");
  CHECK(collective_timeout_from_environment() == 300);
  setenv("BYTEGRAD_DIST_TIMEOUT", "2.5", 1);
  CHECK(collective_timeout_from_environment() == 2.5);
  setenv("BYTEGRAD_DIST_TIMEOUT", "0", 1);
  CHECK_THROWS_WITH_AS(collective_timeout_from_environment(), doctest::Contains("not a positive number"), Error);
  unsetenv("BYTEGRAD_DIST_TIMEOUT");
}

}  // namespace bytegrad::dist
