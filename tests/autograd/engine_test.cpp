#include "tests/test_util.h"

using namespace bytegrad;
using bytegrad::testing::check_values;
using bytegrad::testing::error_of;

namespace {
Tensor param(std::vector<double> v) { return from_vector(v, {int64_t(v.size())}, {kFloat64, kCPU}).set_requires_grad(); }
}  // namespace

TEST_CASE("backward accumulates into leaves across calls until zero_grad") {
  Tensor x = param({1, 2, 3});
  backward(sum(x * x));
  check_values(x.grad(), {2, 4, 6});
  backward(sum(x * 3.0));
  check_values(x.grad(), {5, 7, 9});
  x.zero_grad();
  CHECK_FALSE(x.grad().defined());
}

TEST_CASE("a tensor used twice receives the sum of both gradients") {
  Tensor x = param({2});
  const Tensor y = x * x + x;  // dy/dx = 2x + 1
  backward(sum(y));
  check_values(x.grad(), {5});
}

TEST_CASE("no-grad scopes record nothing") {
  Tensor x = param({1, 2});
  {
    NoGradGuard no_grad;
    const Tensor y = x * 2.0;
    CHECK_FALSE(y.requires_grad());
    CHECK(y.is_leaf());
  }
  CHECK((x * 2.0).requires_grad());
  CHECK(grad_enabled());
}

TEST_CASE("detach cuts the graph but shares storage") {
  Tensor x = param({1, 2});
  const Tensor d = (x * 2.0).detach();
  CHECK_FALSE(d.requires_grad());
  CHECK(error_of([&] { backward(sum(d)); }).find("backward: the tensor of shape [] does not require grad") == 0);
  const Tensor y = x.detach();
  CHECK(y.storage() == x.storage());
}

TEST_CASE("non-leaf gradients are kept only when asked") {
  Tensor x = param({1, 2});
  Tensor h = x * 3.0;
  h.retain_grad();
  const Tensor z = x * 3.0;
  backward(sum(h * h) + sum(z));
  check_values(h.grad(), {6, 12});
  CHECK_FALSE(z.grad().defined());
}

TEST_CASE("backward frees the tensors the graph saved; a second pass needs retain_graph") {
  Tensor x = param({1, 2, 3});
  std::weak_ptr<Storage> saved;
  Tensor loss;
  {
    const Tensor e = exp(x);  // exp keeps its output for backward
    saved = e.storage();
    loss = sum(e * 2.0);
  }
  CHECK_FALSE(saved.expired());  // only the graph holds it now
  backward(loss, Tensor(), /*retain_graph=*/true);
  CHECK_FALSE(saved.expired());
  backward(loss);
  CHECK(saved.expired());  // released while the root still lives
  CHECK(error_of([&] { backward(loss); }).find("backward: the graph through 'sum' was already freed") == 0);
  check_values(x.grad(), {4 * std::exp(1.0), 4 * std::exp(2.0), 4 * std::exp(3.0)});
}

TEST_CASE("non-scalar outputs need an explicit gradient") {
  Tensor x = param({1, 2});
  const Tensor y = x * 2.0;
  CHECK(error_of([&] { backward(y); }).find("backward: a gradient can only be implied for a one-element output") == 0);
  backward(y, from_vector(std::vector<double>{1, 10}, {2}, {kFloat64, kCPU}));
  check_values(x.grad(), {2, 20});
}

TEST_CASE("gradients reach leaves of other dtypes in their own dtype") {
  Tensor w = from_vector(std::vector<float>{1, 2}, {2}).set_requires_grad();
  const Tensor x = from_vector(std::vector<double>{3, 4}, {2}, {kFloat64, kCPU});
  backward(sum(w * x));  // promoted to float64
  CHECK(w.grad().dtype() == kFloat32);
  check_values(w.grad(), {3, 4});
}

TEST_CASE("only floating-point leaves can require gradients") {
  Tensor i = arange(3);
  CHECK(error_of([&] { i.set_requires_grad(); }).find("set_requires_grad: only floating-point tensors") == 0);
  Tensor x = param({1});
  const Tensor y = x * 2.0;
  CHECK(error_of([&] { Tensor(y).set_requires_grad(false); }).find("set_requires_grad: only leaf tensors") == 0);
}
