// Global gradient-norm clipping.
#include "tests/test_util.h"
#include "train/grad_clip.h"

namespace bytegrad::train {

TEST_CASE("the norm covers all gradients and clipping scales them to max_norm") {
  Tensor a = zeros({2}).set_requires_grad(), b = zeros({1}).set_requires_grad(), unused = zeros({3}).set_requires_grad();
  a.set_grad(from_vector(std::vector<float>{3, 0}));
  b.set_grad(from_vector(std::vector<float>{4}));
  CHECK(clip_grad_norm({a, b, unused}, 1.0) == doctest::Approx(5.0));
  testing::check_values(a.grad(), {0.6, 0.0}, 1e-6);
  testing::check_values(b.grad(), {0.8}, 1e-6);
}

TEST_CASE("gradients within the limit, or with clipping off, are unchanged") {
  Tensor a = zeros({2}).set_requires_grad();
  a.set_grad(from_vector(std::vector<float>{3, 4}));
  CHECK(clip_grad_norm({a}, 10.0) == doctest::Approx(5.0));
  CHECK(clip_grad_norm({a}, 0.0) == doctest::Approx(5.0));
  testing::check_values(a.grad(), {3, 4});
}

}  // namespace bytegrad::train
