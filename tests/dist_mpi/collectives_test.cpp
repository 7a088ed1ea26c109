// Collectives between real ranks (run under mpirun with 2 or more ranks): each rank contributes
// values that depend on its rank, and checks what comes back against the arithmetic.
#include <doctest/doctest.h>

#include <cstdlib>

#include "kernels/backend.h"
#include "tensor/creation.h"
#include "tensor/views.h"
#include "tests/dist_mpi/mpi_world.h"

namespace bytegrad::dist {
namespace {

using testing::mpi_world;

// Rank r's values: r * 10 + i for i < n.
std::vector<float> rank_values(int rank, int64_t n) {
  std::vector<float> values;
  for (int64_t i = 0; i < n; ++i) values.push_back(float(rank * 10 + i));
  return values;
}

}  // namespace

TEST_CASE("the job has several ranks") {
  // One rank is enough where ranks would share a GPU (ctest cuda_dist_mpi in a real CUDA build).
  CHECK(mpi_world().world_size() >= (std::getenv("BYTEGRAD_TEST_CUDA_TRANSPORT") ? 1 : 2));
}

TEST_CASE("CUDA tensors: all_reduce, all_gather and broadcast through the CUDA transport") {
  Communicator& world = mpi_world();
  if (!std::getenv("BYTEGRAD_TEST_CUDA_TRANSPORT")) return;  // the cuda_dist_mpi entry's case
  if (kernels::device_count(DeviceKind::CUDA) == 0) {  // a real CUDA build on a machine without a GPU
    MESSAGE("skipped: no CUDA device is visible");
    return;
  }
  REQUIRE(world.has_cuda_transport());
  const Device device = testing::rank_cuda_device();
  const int n = world.world_size();
  const Tensor sum = from_vector(rank_values(world.rank(), 5)).to(device);
  world.all_reduce(sum, ReduceOp::Sum);
  CHECK(sum.device() == device);
  const float rank_total = float(n * (n - 1) / 2 * 10);
  for (int64_t i = 0; i < 5; ++i) CHECK(sum.to_vector<float>()[size_t(i)] == rank_total + float(n * i));
  const Tensor gathered = zeros({2 * n}, {kFloat32, device});
  world.all_gather(from_vector(std::vector<float>{float(world.rank()), float(100 + world.rank())}).to(device), gathered);
  std::vector<float> expected;
  for (int r = 0; r < n; ++r) expected.insert(expected.end(), {float(r), float(100 + r)});
  CHECK(gathered.to_vector<float>() == expected);
  const Tensor x = full({3}, double(world.rank() + 1), {kFloat32, device});
  world.broadcast(x, n - 1);
  CHECK(x.to_vector<float>() == std::vector<float>(3, float(n)));
}

TEST_CASE("all_reduce sums and averages every rank's values") {
  Communicator& world = mpi_world();
  const int n = world.world_size();
  const Tensor sum = from_vector(rank_values(world.rank(), 5));
  const Tensor mean = from_vector(rank_values(world.rank(), 5));
  world.all_reduce(sum, ReduceOp::Sum);
  world.all_reduce(mean, ReduceOp::Average);
  const float rank_total = float(n * (n - 1) / 2 * 10);  // sum over ranks of r * 10
  for (int64_t i = 0; i < 5; ++i) {
    CHECK(sum.to_vector<float>()[size_t(i)] == rank_total + float(n * i));
    CHECK(mean.to_vector<float>()[size_t(i)] == doctest::Approx((rank_total + float(n * i)) / float(n)));
  }
  CHECK(world.sum(int64_t(world.rank() + 1)) == int64_t(n * (n + 1) / 2));
}

TEST_CASE("reduce_scatter gives each rank its own chunk of the sum") {
  Communicator& world = mpi_world();
  const int n = world.world_size();
  const Tensor input = from_vector(rank_values(world.rank(), 3 * n));
  const Tensor output = zeros({3});
  world.reduce_scatter(input, output, ReduceOp::Sum);
  for (int64_t i = 0; i < 3; ++i) {
    float expected = 0;
    for (int r = 0; r < n; ++r) expected += rank_values(r, 3 * n)[size_t(world.rank() * 3 + i)];
    CHECK(output.to_vector<float>()[size_t(i)] == expected);
  }
}

TEST_CASE("all_gather places each rank's values at its own offset") {
  Communicator& world = mpi_world();
  const int n = world.world_size();
  const Tensor output = zeros({2 * n}, {kInt64, kCPU});
  world.all_gather(from_vector(std::vector<int64_t>{world.rank(), 100 + world.rank()}), output);
  std::vector<int64_t> expected;
  for (int r = 0; r < n; ++r) expected.insert(expected.end(), {r, 100 + r});
  CHECK(output.to_vector<int64_t>() == expected);
}

TEST_CASE("broadcast copies the root's values to every rank, in any dtype") {
  Communicator& world = mpi_world();
  const int root = world.world_size() - 1;
  const Tensor x = full({4}, double(world.rank() + 1), {kBFloat16, kCPU});
  world.broadcast(x, root);
  CHECK(ops::to(x, kFloat32).to_vector<float>() == std::vector<float>(4, float(root + 1)));
  world.barrier();
}

TEST_CASE("ranks that disagree on a size all throw, naming both calls") {
  Communicator& world = mpi_world();
  const Tensor x = zeros({world.rank() == 0 ? 4 : 5});
  CHECK_THROWS_WITH_AS(world.all_reduce(x), doctest::Contains("rank 0 calls all_reduce of 4 float32 elements (sum), rank 1 "
                                                              "calls all_reduce of 5 float32 elements"), Error);
  // The check runs before any data moves: the ranks stay in step and the next call works.
  const Tensor y = ones({2});
  world.all_reduce(y);
  CHECK(y.to_vector<float>() == std::vector<float>(2, float(world.world_size())));
}

TEST_CASE("ranks that disagree on the operation all throw") {
  Communicator& world = mpi_world();
  const Tensor x = zeros({2});
  if (world.rank() == 0) CHECK_THROWS_WITH_AS(world.broadcast(x, 0), doctest::Contains("disagree"), Error);
  else CHECK_THROWS_WITH_AS(world.all_reduce(x), doctest::Contains("disagree"), Error);
}

}  // namespace bytegrad::dist
