// Views on every test device: they share storage with their base, index the expected elements,
// and copy (through the device's kernels) only when a layout cannot be viewed.
#include "tests/devices.h"
#include "tests/test_util.h"

using namespace bytegrad;
using bytegrad::testing::check_values;
using bytegrad::testing::error_of;
using bytegrad::testing::for_each_device;

namespace {
Tensor counting(const Shape& shape, Device device) {
  return to(arange(numel_of(shape), {kInt64, device}), kFloat32).detach();
}
Tensor grid(const Shape& shape, Device device) { return ops::reshape(counting(shape, device), shape); }
}  // namespace

TEST_CASE("views share storage with their base") {
  for_each_device([](Device device) {
    const Tensor base = grid({2, 3}, device);
    const Tensor t = transpose(base, 0, 1);
    CHECK(t.storage() == base.storage());
    CHECK(t.shape() == Shape{3, 2});
    CHECK(t.strides() == Strides{1, 3});
    CHECK_FALSE(t.is_contiguous());
    ops::copy_(ops::select(t, 0, 1), full({2}, -1.0, {kFloat32, device}));  // writes through the view
    check_values(base, {0, -1, 2, 3, -1, 5});
  });
}

TEST_CASE("reshape views when the layout allows it and copies when it does not") {
  for_each_device([](Device device) {
    const Tensor base = grid({2, 3, 4}, device);
    const Tensor merged = reshape(base, {6, 4});
    CHECK(merged.storage() == base.storage());
    CHECK(reshape(base, {-1}).shape() == Shape{24});
    const Tensor t = transpose(base, 1, 2);  // [2, 4, 3], not mergeable into [8, 3] without a copy
    const Tensor copied = reshape(t, {8, 3});
    CHECK(copied.storage() != base.storage());
    check_values(narrow(copied, 0, 0, 1), {0, 4, 8});
    CHECK(error_of([&] { view(t, {8, 3}); }).find("view: shape [8, 3] cannot view") == 0);
    // Splitting a dimension of a transposed tensor is still a view.
    CHECK(view(t, {2, 2, 2, 3}).storage() == base.storage());
  });
}

TEST_CASE("permute, movedim, narrow, slice and select index the expected elements") {
  for_each_device([](Device device) {
    const Tensor x = grid({2, 3, 4}, device);
    const Tensor p = permute(x, {2, 0, 1});
    CHECK(p.shape() == Shape{4, 2, 3});
    CHECK(ops::select(ops::select(ops::select(p, 0, 3), 0, 1), 0, 2).item<float>() == 23.0f);
    CHECK(movedim(x, 0, -1).shape() == Shape{3, 4, 2});
    check_values(narrow(ops::select(x, 0, 0), 1, 1, 2), {1, 2, 5, 6, 9, 10});
    check_values(slice(ops::select(ops::select(x, 0, 1), 0, 2), 0, 0, 4, 2), {20, 22});
    check_values(slice(arange(10, {kInt64, device}), 0, -3, 100), {7, 8, 9});
    check_values(select(arange(5, {kInt64, device}), 0, -1), {4});
  });
}

TEST_CASE("expand stretches size-1 dimensions with stride 0") {
  for_each_device([](Device device) {
    const Tensor column = grid({3, 1}, device);
    const Tensor wide = expand(column, {2, 3, 4});
    CHECK(wide.strides() == Strides{0, 1, 0});
    CHECK(sum(wide).item<float>() == 2 * 4 * (0 + 1 + 2));
    CHECK(error_of([&] { expand(grid({3, 2}, device), {3, 4}); }).find("expand: shape [3, 2] cannot expand to [3, 4]") == 0);
  });
}

TEST_CASE("squeeze and unsqueeze add and remove size-1 dimensions") {
  for_each_device([](Device device) {
    const Tensor x = grid({2, 1, 3}, device);
    CHECK(squeeze(x, 1).shape() == Shape{2, 3});
    CHECK(ops::squeeze(x).shape() == Shape{2, 3});
    CHECK(unsqueeze(x, -1).shape() == Shape{2, 1, 3, 1});
    CHECK(unsqueeze(x, 0).shape() == Shape{1, 2, 1, 3});
    CHECK(error_of([&] { squeeze(x, 0); }).find("squeeze: dim 0 has size 2, expected 1") == 0);
  });
}

TEST_CASE("contiguous copies only non-contiguous tensors") {
  for_each_device([](Device device) {
    const Tensor x = grid({3, 4}, device);
    CHECK(contiguous(x).is_same(x));
    const Tensor t = contiguous(transpose(x, 0, 1));
    CHECK(t.is_contiguous());
    check_values(narrow(t, 0, 1, 1), {1, 5, 9});
  });
}

TEST_CASE("cat, stack, split and chunk join and cut along a dimension") {
  for_each_device([](Device device) {
    const Tensor a = grid({2, 2}, device), b = add(grid({2, 1}, device), 10.0);
    check_values(cat({a, b}, 1), {0, 1, 10, 2, 3, 11});
    CHECK(stack({a, a, a}, 1).shape() == Shape{2, 3, 2});
    const std::vector<Tensor> pieces = split(arange(7, {kInt64, device}), 3, 0);
    REQUIRE(pieces.size() == 3);
    check_values(pieces[2], {6});
    const std::vector<Tensor> chunks = chunk(grid({5, 2}, device), 2, 0);
    REQUIRE(chunks.size() == 2);
    CHECK(chunks[0].shape() == Shape{3, 2});
    CHECK(chunks[1].shape() == Shape{2, 2});
    CHECK(error_of([&] { cat({a, grid({3, 3}, device)}, 0); }).find("cat: tensor 1 has shape [3, 3]") == 0);
  });
}
