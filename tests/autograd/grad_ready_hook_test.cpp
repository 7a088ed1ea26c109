// A leaf's on_grad_ready hook: called once per backward pass, after the last contribution to
// its gradient, while the graph is still being walked (data-parallel training averages a bucket
// of gradients from there).
#include <doctest/doctest.h>

#include "autograd/backward.h"
#include "autograd/functions.h"
#include "tensor/creation.h"

namespace bytegrad {

TEST_CASE("the hook runs once, with the gradient summed over every use of the leaf") {
  Tensor w = from_vector(std::vector<float>{1, 2, 3}).set_requires_grad();
  std::vector<std::vector<float>> seen;
  w.ensure_autograd_meta().on_grad_ready = [&](const Tensor& grad) { seen.push_back(grad.to_vector<float>()); };
  // d/dw of sum(w * w) + sum(3 w) = 2 w + 3, from two consumers of w.
  backward(add(sum(mul(w, w)), sum(mul(w, 3.0))));
  REQUIRE(seen.size() == 1);
  CHECK(seen[0] == std::vector<float>{5, 7, 9});
}

TEST_CASE("a leaf's hook runs before the backward pass reaches leaves nearer the root's inputs") {
  // y = (x * a) * b: b's gradient is complete after the first node backward runs, a's after the second.
  Tensor a = from_vector(std::vector<float>{2}).set_requires_grad();
  Tensor b = from_vector(std::vector<float>{3}).set_requires_grad();
  const Tensor x = from_vector(std::vector<float>{5});
  std::vector<char> order;
  a.ensure_autograd_meta().on_grad_ready = [&](const Tensor&) { order.push_back('a'); };
  b.ensure_autograd_meta().on_grad_ready = [&](const Tensor& grad) {
    order.push_back('b');
    CHECK_FALSE(a.grad().defined());  // the walk has not reached a yet
    CHECK(grad.item<float>() == 10);
  };
  backward(sum(mul(mul(x, a), b)));
  CHECK(order == std::vector<char>{'b', 'a'});
  CHECK(a.grad().item<float>() == 15);
}

TEST_CASE("the hook of a leaf with a sparse (row-wise) gradient runs after its rows are added") {
  Tensor table = zeros({4, 2}).set_requires_grad();
  int calls = 0;
  table.ensure_autograd_meta().on_grad_ready = [&](const Tensor& grad) {
    ++calls;
    CHECK(grad.to_vector<float>() == std::vector<float>{0, 0, 2, 2, 0, 0, 1, 1});
  };
  const Tensor ids = from_vector(std::vector<int64_t>{1, 3, 1});
  backward(sum(embedding(table, ids)));
  CHECK(calls == 1);
}

}  // namespace bytegrad
