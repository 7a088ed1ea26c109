// An embedding lookup's gradient is a few rows of a large table: backward adds them straight into
// the weight's .grad, and the result equals the dense gradient it replaces, bit for bit.
#include "tests/test_util.h"

using namespace bytegrad;

namespace {

Generator& rng() {
  static Generator generator(7);
  return generator;
}

Tensor table(int64_t rows, int64_t cols) { return randn({rows, cols}, {kFloat32, kCPU}, &rng()).set_requires_grad(); }

const Tensor& repeated_ids() {
  static const Tensor ids = from_vector(std::vector<int64_t>{4, 1, 4, 0, 4, 1}, {2, 3});
  return ids;
}

// The gradient the lookup had before it wrote in place: zeros with the rows added, made dense.
Tensor dense_lookup_gradient(const Tensor& weight, const Tensor& ids, const Tensor& grad_output) {
  return ops::index_add(zeros_like(weight.detach()), 0, ops::reshape(ids, {-1}),
                        ops::reshape(grad_output, {-1, weight.size(1)}));
}

void check_bitwise_equal(const Tensor& actual, const Tensor& expected) {
  REQUIRE(actual.shape() == expected.shape());
  CHECK(actual.to_vector<float>() == expected.to_vector<float>());
}

}  // namespace

TEST_CASE("an embedding's gradient is added into the weight's existing .grad where it lies") {
  Tensor weight = table(6, 4);
  const Tensor upstream = randn({2, 3, 4}, {kFloat32, kCPU}, &rng());
  backward(embedding(weight, repeated_ids()), upstream);
  const Tensor first = weight.grad();
  check_bitwise_equal(first, dense_lookup_gradient(weight, repeated_ids(), upstream));

  backward(embedding(weight, repeated_ids()), upstream);
  CHECK(weight.grad().data_ptr() == first.data_ptr());  // no new vocab-sized buffer
  const Tensor once = dense_lookup_gradient(weight, repeated_ids(), upstream);
  check_bitwise_equal(weight.grad(), add(once, once));
}

TEST_CASE("a tied embedding's gradient is the head's dense gradient plus the lookup's rows, as one sum") {
  Tensor weight = table(6, 4);
  const Tensor upstream = randn({2, 3, 6}, {kFloat32, kCPU}, &rng());
  const Tensor hidden = embedding(weight, repeated_ids());
  backward(matmul(hidden, transpose(weight, 0, 1)), upstream);

  // The same two gradients, taken apart: the head's through a copy of the weight, the lookup's dense.
  Tensor head_weight = weight.detach().set_requires_grad();
  const Tensor hidden_values = hidden.detach().set_requires_grad();
  backward(matmul(hidden_values, transpose(head_weight, 0, 1)), upstream);
  const Tensor expected =
      add(head_weight.grad(), dense_lookup_gradient(weight, repeated_ids(), hidden_values.grad()));
  check_bitwise_equal(weight.grad(), expected);
}

TEST_CASE("an embedding of a computed weight passes a dense gradient on to the leaf") {
  Tensor weight = table(6, 4);
  const Tensor upstream = randn({2, 3, 4}, {kFloat32, kCPU}, &rng());
  backward(embedding(weight * 2.0, repeated_ids()), upstream);
  check_bitwise_equal(weight.grad(), dense_lookup_gradient(weight, repeated_ids(), upstream) * 2.0);
}

TEST_CASE("a strided .grad set from outside is made contiguous before rows are added into it") {
  Tensor weight = table(4, 3);
  weight.set_grad(ops::transpose(zeros({3, 4}, {kFloat32, kCPU}), 0, 1));
  const Tensor upstream = ones({2, 3, 3}, {kFloat32, kCPU});
  const Tensor ids = from_vector(std::vector<int64_t>{0, 3, 0, 1, 1, 2}, {2, 3});
  backward(embedding(weight, ids), upstream);
  CHECK(weight.grad().to_vector<float>() == std::vector<float>{2, 2, 2, 2, 2, 2, 1, 1, 1, 1, 1, 1});
}
