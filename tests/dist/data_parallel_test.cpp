// DataParallel in one process (the averaging itself is tested between real ranks in
// tests/dist_mpi/): buckets are made from the parameters' sizes, every parameter leaves finish()
// with a gradient, and a pass that does not average leaves the gradients alone.
#include <doctest/doctest.h>

#include "autograd/backward.h"
#include "autograd/functions.h"
#include "dist/data_parallel.h"
#include "dist/environment.h"
#include "tensor/creation.h"

namespace bytegrad::dist {
namespace {

std::vector<std::pair<std::string, Tensor>> parameters(std::initializer_list<int64_t> sizes) {
  std::vector<std::pair<std::string, Tensor>> out;
  for (int64_t size : sizes) out.emplace_back("p" + std::to_string(out.size()), ones({size}).set_requires_grad());
  return out;
}

}  // namespace

TEST_CASE("parameters are bucketed from the last, each bucket reaching the size limit") {
  const std::unique_ptr<Communicator> world = single_process_communicator();
  // 16-byte buckets: {p3 (8 floats)}, {p2 (2), p1 (2)}, {p0 (1)}.
  DataParallel parallel(*world, parameters({1, 2, 2, 8}), {.bucket_bytes = 16});
  CHECK(parallel.bucket_count() == 3);
}

TEST_CASE("after finish every parameter has a gradient, zeros where backward gave none") {
  const std::unique_ptr<Communicator> world = single_process_communicator();
  auto named = parameters({3, 2});
  DataParallel parallel(*world, named, {.bucket_bytes = 4});
  backward(sum(mul(named[0].second, 2.0)));  // p1 takes no part
  parallel.finish();
  CHECK(named[0].second.grad().to_vector<float>() == std::vector<float>{2, 2, 2});
  REQUIRE(named[1].second.grad().defined());
  CHECK(named[1].second.grad().to_vector<float>() == std::vector<float>{0, 0});
}

TEST_CASE("a backward pass that does not average leaves the gradients to accumulate") {
  const std::unique_ptr<Communicator> world = single_process_communicator();
  auto named = parameters({3, 2});
  DataParallel parallel(*world, named);
  parallel.set_averaging(false);
  backward(sum(mul(named[0].second, 2.0)));
  parallel.finish();
  CHECK_FALSE(named[1].second.grad().defined());
  parallel.set_averaging(true);
  backward(sum(mul(named[0].second, 2.0)));
  parallel.finish();
  CHECK(named[0].second.grad().to_vector<float>() == std::vector<float>{4, 4, 4});
}

TEST_CASE("a parameter that is not contiguous float32 is an error naming it") {
  const std::unique_ptr<Communicator> world = single_process_communicator();
  std::vector<std::pair<std::string, Tensor>> named{{"lm_head.weight", zeros({2}, {kFloat64, kCPU})}};
  CHECK_THROWS_WITH_AS(DataParallel(*world, named), doctest::Contains("parameter 'lm_head.weight' is float64"), Error);
}

TEST_CASE("the hooks are removed with the DataParallel") {
  const std::unique_ptr<Communicator> world = single_process_communicator();
  auto named = parameters({2});
  { DataParallel parallel(*world, named); }
  CHECK_FALSE(bool(named[0].second.autograd_meta()->on_grad_ready));
}

}  // namespace bytegrad::dist
