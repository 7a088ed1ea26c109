// The causal mask: which keys each query must not see, and its reuse across calls.
#include "nn/causal_mask.h"
#include "tests/test_util.h"

namespace bytegrad::nn {
namespace {

using testing::check_values;

TEST_CASE("a prompt's mask hides the keys after each query") {
  const Tensor mask = causal_mask(0, 3, 3, kCPU);
  REQUIRE(mask.shape() == Shape{3, 3});
  check_values(mask, {0, 1, 1, 0, 0, 1, 0, 0, 0});
}

TEST_CASE("a chunk after a cached prefix sees the whole prefix") {
  // Queries at positions 2 and 3 against keys 0..3.
  check_values(causal_mask(2, 2, 4, kCPU), {0, 0, 0, 1, 0, 0, 0, 0});
}

TEST_CASE("a single query at the last position needs no mask") {
  CHECK_FALSE(causal_mask(4, 1, 5, kCPU).defined());
  CHECK_FALSE(causal_mask(0, 1, 1, kCPU).defined());
}

TEST_CASE("the cache keeps the mask while the shape stays and rebuilds it when it changes") {
  const CausalMaskCache cache;
  const Tensor first = cache.get(0, 4, 4, kCPU);
  CHECK(cache.get(0, 4, 4, kCPU).is_same(first));
  check_values(cache.get(1, 2, 3, kCPU), {0, 0, 1, 0, 0, 0});
  CHECK_FALSE(cache.get(3, 1, 4, kCPU).defined());
}

}  // namespace
}  // namespace bytegrad::nn
