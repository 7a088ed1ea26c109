// Indexing ops on every test device: gather and scatter_add, index_select, index_add and
// embedding, triangles, one_hot; and the errors that name a bad index (on the CPU).
#include "tests/devices.h"
#include "tests/test_util.h"

using namespace bytegrad;
using bytegrad::testing::check_values;
using bytegrad::testing::error_of;
using bytegrad::testing::for_each_device;

namespace {
Tensor ids(std::vector<int64_t> v, Shape shape = {}, Device device = kCPU) {
  if (shape.empty()) shape = {int64_t(v.size())};
  return from_vector(v, shape, {kInt64, device});
}
Tensor grid(const Shape& shape, Device device = kCPU) {
  return ops::reshape(to(arange(numel_of(shape), {kInt64, device}), kFloat32), shape);
}
}  // namespace

TEST_CASE("gather picks along a dimension and scatter_add adds back") {
  for_each_device([](Device device) {
    const Tensor x = grid({2, 3}, device);
    check_values(gather(x, 1, ids({2, 0, 1, 1}, {2, 2}, device)), {2, 0, 4, 4});
    check_values(gather(x, 0, ids({1, 0, 1}, {1, 3}, device)), {3, 1, 5});
    const Tensor added = scatter_add(zeros({2, 3}, {kFloat32, device}), 1, ids({0, 0, 2, 1}, {2, 2}, device),
                                     ones({2, 2}, {kFloat32, device}));
    check_values(added, {2, 0, 0, 0, 1, 1});
  });
}

TEST_CASE("index_select, index_add and embedding use 1-D index lists") {
  for_each_device([](Device device) {
    const Tensor table = grid({4, 2}, device);
    check_values(index_select(table, 0, ids({3, 0, 3}, {}, device)), {6, 7, 0, 1, 6, 7});
    check_values(index_select(table, 1, ids({1}, {}, device)), {1, 3, 5, 7});
    const Tensor added = from_vector(std::vector<float>{1, 2, 3}, {3}, {kFloat32, device});
    check_values(index_add(zeros({3}, {kFloat32, device}), 0, ids({2, 2, 0}, {}, device), added), {3, 0, 3});
    const Tensor e = embedding(table, ids({1, 2, 0, 1}, {2, 2}, device));
    CHECK(e.shape() == Shape{2, 2, 2});
    check_values(e, {2, 3, 4, 5, 0, 1, 2, 3});
    check_values(index_select(table, 0, ids({-1}, {}, device)), {6, 7});  // negative indices count from the end
  });
}

TEST_CASE("out-of-range indices are errors that name the op, index and size") {
  const Tensor table = grid({4, 2});
  CHECK(error_of([&] { embedding(table, ids({4})); }) ==
        "index_select: index 4 is out of range for dim 0 of size 4");
  CHECK(error_of([&] { gather(table, 1, ids({0, 7}, {1, 2})); }).find("gather: index shape [1, 2] differs") == 0);
  CHECK(error_of([&] { gather(table, 1, ids({0, 7, 0, 0, 0, 0, 0, 0}, {4, 2})); }) ==
        "gather: index 7 is out of range for dim 1 of size 2");
}

TEST_CASE("triu and tril keep a triangle from a diagonal") {
  for_each_device([](Device device) {
    const Tensor x = add(grid({3, 3}, device), 1.0);
    check_values(triu(x), {1, 2, 3, 0, 5, 6, 0, 0, 9});
    check_values(tril(x, -1), {0, 0, 0, 4, 0, 0, 7, 8, 0});
    check_values(triu(x, 1), {0, 2, 3, 0, 0, 6, 0, 0, 0});
    CHECK(triu(grid({2, 3, 3}, device)).shape() == Shape{2, 3, 3});
  });
}

TEST_CASE("one_hot marks each class index") {
  for_each_device([](Device device) {
    check_values(one_hot(ids({2, 0}, {}, device), 3), {0, 0, 1, 1, 0, 0});
    CHECK(error_of([&] { one_hot(ids({3}, {}, device), 3); }) ==
          "one_hot: class values must lie in [0, 3), found 3");
  });
}
