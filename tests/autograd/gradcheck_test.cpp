// Every differentiable op against central differences in float64, on shapes that broadcast and
// on non-contiguous inputs, on every test device.
#include <array>

#include "tests/devices.h"
#include "tests/test_util.h"

using namespace bytegrad;
using bytegrad::testing::for_each_device;
using bytegrad::testing::to_device_keeping_layout;

namespace {

using Fn = std::function<Tensor(const std::vector<Tensor>&)>;

Generator& rng() {
  static Generator generator(2024);
  return generator;
}

// A float64 leaf of the given shape with values in [low, high).
Tensor leaf(const Shape& shape, double low = -1.0, double high = 1.0) {
  return uniform(shape, low, high, {kFloat64}, &rng()).set_requires_grad();
}

// A non-contiguous float64 leaf: the transpose of a fresh [cols, rows] tensor.
Tensor transposed_leaf(int64_t rows, int64_t cols, double low = -1.0, double high = 1.0) {
  return ops::transpose(uniform({cols, rows}, low, high, {kFloat64}, &rng()), 0, 1).set_requires_grad();
}

// Checks the gradients of f on one device. gradcheck perturbs float64 leaves on the CPU; f sees
// them copied to the device in the same layout and its result comes back to the CPU, so both the
// analytic gradients and the central differences are computed by the device's kernels.
struct GradientCheck {
  Device device;

  void operator()(const char* name, const Fn& f, const std::vector<Tensor>& inputs) const {
    const Fn on_device = [&](const std::vector<Tensor>& host_inputs) {
      std::vector<Tensor> moved;
      for (const Tensor& x : host_inputs) moved.push_back(to_device_keeping_layout(x, device));
      return to(f(moved), kCPU);
    };
    const GradcheckResult result = gradcheck(on_device, inputs);
    INFO(std::string(name) << " on " << device << ": " << result.message);
    CHECK(result.passed);
  }
};

// An int64 index tensor on `device`.
Tensor indices(const std::vector<int64_t>& values, const Shape& shape, Device device) {
  return from_vector(values, shape, {kInt64, device});
}

}  // namespace

TEST_CASE("gradients of binary ops, with broadcasting") {
  for_each_device([](Device device) {
    const GradientCheck expect_gradients{device};
    expect_gradients("add", [](auto& x) { return add(x[0], x[1]); }, {leaf({2, 3}), leaf({3})});
    expect_gradients("sub", [](auto& x) { return sub(x[0], x[1]); }, {leaf({2, 1}), leaf({1, 4})});
    expect_gradients("mul", [](auto& x) { return mul(x[0], x[1]); }, {leaf({2, 3}), leaf({2, 1})});
    expect_gradients("div", [](auto& x) { return div(x[0], x[1]); }, {leaf({3, 2}), leaf({2}, 0.5, 2)});
    expect_gradients("pow", [](auto& x) { return pow(x[0], x[1]); }, {leaf({2, 3}, 0.5, 2), leaf({3})});
    expect_gradients("maximum", [](auto& x) { return maximum(x[0], x[1]); }, {leaf({3, 3}), leaf({3})});
    expect_gradients("minimum", [](auto& x) { return minimum(x[0], x[1]); }, {leaf({3, 3}), leaf({3, 1})});
    expect_gradients("where", [](auto& x) { return where(gt(x[0], 0.0), x[0], x[1]); },
                     {leaf({2, 3}), leaf({3})});
    expect_gradients("masked_fill", [](auto& x) { return masked_fill(x[0], lt(x[0], 0.0), 2.0); },
                     {leaf({4, 2})});
  });
}

TEST_CASE("gradients of scalar arithmetic and unary ops, on non-contiguous inputs") {
  for_each_device([](Device device) {
    const GradientCheck expect_gradients{device};
    const auto t = [] { return transposed_leaf(3, 4); };
    expect_gradients("add scalar", [](auto& x) { return x[0] + 2.0; }, {t()});
    expect_gradients("rsub", [](auto& x) { return 2.0 - x[0]; }, {t()});
    expect_gradients("mul scalar", [](auto& x) { return x[0] * 3.0; }, {t()});
    expect_gradients("div scalar", [](auto& x) { return x[0] / 3.0; }, {t()});
    expect_gradients("rdiv", [](auto& x) { return 2.0 / x[0]; }, {transposed_leaf(3, 4, 0.5, 2)});
    expect_gradients("pow scalar", [](auto& x) { return pow(x[0], 3.0); }, {t()});
    expect_gradients("neg", [](auto& x) { return neg(x[0]); }, {t()});
    expect_gradients("exp", [](auto& x) { return exp(x[0]); }, {t()});
    expect_gradients("log", [](auto& x) { return log(x[0]); }, {transposed_leaf(3, 4, 0.5, 2)});
    expect_gradients("sqrt", [](auto& x) { return sqrt(x[0]); }, {transposed_leaf(3, 4, 0.5, 2)});
    expect_gradients("rsqrt", [](auto& x) { return rsqrt(x[0]); }, {transposed_leaf(3, 4, 0.5, 2)});
    expect_gradients("tanh", [](auto& x) { return tanh(x[0]); }, {t()});
    expect_gradients("sigmoid", [](auto& x) { return sigmoid(x[0]); }, {t()});
    expect_gradients("silu", [](auto& x) { return silu(x[0]); }, {t()});
    expect_gradients("gelu", [](auto& x) { return gelu(x[0]); }, {leaf({3, 4}, -3, 3)});
    expect_gradients("gelu tanh", [](auto& x) { return gelu(x[0], true); }, {leaf({3, 4}, -3, 3)});
    expect_gradients("relu", [](auto& x) { return relu(x[0]); }, {t()});
    expect_gradients("abs", [](auto& x) { return abs(x[0]); }, {t()});
    expect_gradients("square", [](auto& x) { return square(x[0]); }, {t()});
    expect_gradients("clamp", [](auto& x) { return clamp(x[0], -0.5, 0.5); }, {t()});
  });
}

TEST_CASE("gradients of reductions and softmax") {
  for_each_device([](Device device) {
    const GradientCheck expect_gradients{device};
    expect_gradients("sum all", [](auto& x) { return sum(x[0]); }, {leaf({2, 3})});
    expect_gradients("sum dims", [](auto& x) { return sum(x[0], {0, 2}); }, {leaf({2, 3, 4})});
    expect_gradients("sum keepdim", [](auto& x) { return sum(x[0], {1}, true); }, {transposed_leaf(3, 4)});
    expect_gradients("mean", [](auto& x) { return mean(x[0], {-1}); }, {leaf({3, 5})});
    expect_gradients("var", [](auto& x) { return var(x[0], {1}); }, {leaf({3, 5})});
    expect_gradients("var population", [](auto& x) { return var(x[0], {}, 0); }, {leaf({4, 2})});
    expect_gradients("logsumexp", [](auto& x) { return logsumexp(x[0], {1}); }, {leaf({3, 4}, -3, 3)});
    expect_gradients("max all", [](auto& x) { return max(x[0]); }, {leaf({3, 4})});
    expect_gradients("min all", [](auto& x) { return min(x[0]); }, {leaf({3, 4})});
    expect_gradients("max dim", [](auto& x) { return max(x[0], 1).first; }, {leaf({3, 4})});
    expect_gradients("min dim keepdim", [](auto& x) { return min(x[0], 0, true).first; }, {transposed_leaf(3, 4)});
    expect_gradients("softmax", [](auto& x) { return softmax(x[0], -1); }, {leaf({3, 5}, -3, 3)});
    expect_gradients("softmax dim 0", [](auto& x) { return softmax(x[0], 0); }, {transposed_leaf(3, 5, -3, 3)});
    expect_gradients("log_softmax", [](auto& x) { return log_softmax(x[0], 1); }, {leaf({2, 3, 4}, -3, 3)});
  });
}

TEST_CASE("gradients of matrix products") {
  for_each_device([](Device device) {
    const GradientCheck expect_gradients{device};
    expect_gradients("matmul", [](auto& x) { return matmul(x[0], x[1]); }, {leaf({3, 4}), leaf({4, 2})});
    expect_gradients("matmul transposed", [](auto& x) { return matmul(x[0], x[1]); },
                     {transposed_leaf(3, 4), transposed_leaf(4, 5)});
    expect_gradients("matmul batch broadcast", [](auto& x) { return matmul(x[0], x[1]); },
                     {leaf({2, 3, 4}), leaf({4, 2})});
    expect_gradients("matmul batch broadcast both", [](auto& x) { return matmul(x[0], x[1]); },
                     {leaf({2, 1, 3, 4}), leaf({3, 4, 2})});
    expect_gradients("matmul vector", [](auto& x) { return matmul(x[0], x[1]); }, {leaf({4}), leaf({4, 3})});
    expect_gradients("matmul matrix-vector", [](auto& x) { return matmul(x[0], x[1]); }, {leaf({2, 4}), leaf({4})});
    expect_gradients("dot", [](auto& x) { return matmul(x[0], x[1]); }, {leaf({4}), leaf({4})});
  });
}

TEST_CASE("gradients of views and joins") {
  for_each_device([](Device device) {
    const GradientCheck expect_gradients{device};
    expect_gradients("reshape", [](auto& x) { return reshape(x[0], {4, 3}); }, {transposed_leaf(3, 4)});
    expect_gradients("view", [](auto& x) { return view(x[0], {6, 2}); }, {leaf({3, 4})});
    expect_gradients("flatten", [](auto& x) { return flatten(x[0], 1); }, {leaf({2, 3, 2})});
    expect_gradients("transpose", [](auto& x) { return transpose(x[0], 0, 2); }, {leaf({2, 3, 4})});
    expect_gradients("permute", [](auto& x) { return permute(x[0], {1, 2, 0}); }, {leaf({2, 3, 4})});
    expect_gradients("movedim", [](auto& x) { return movedim(x[0], 0, -1); }, {leaf({2, 3, 4})});
    expect_gradients("narrow", [](auto& x) { return narrow(x[0], 1, 1, 2); }, {leaf({3, 4})});
    expect_gradients("slice", [](auto& x) { return slice(x[0], 0, 1, 6, 2); }, {leaf({6, 2})});
    expect_gradients("select", [](auto& x) { return select(x[0], 1, -1); }, {leaf({3, 4})});
    expect_gradients("expand", [](auto& x) { return expand(x[0], {2, 3, 4}); }, {leaf({3, 1})});
    expect_gradients("squeeze", [](auto& x) { return squeeze(x[0], 1); }, {leaf({3, 1, 2})});
    expect_gradients("unsqueeze", [](auto& x) { return unsqueeze(x[0], 0); }, {leaf({3, 2})});
    expect_gradients("contiguous", [](auto& x) { return contiguous(x[0]); }, {transposed_leaf(3, 4)});
    expect_gradients("clone", [](auto& x) { return clone(x[0]); }, {leaf({3, 4})});
    expect_gradients("cat", [](auto& x) { return cat({x[0], x[1]}, 1); }, {leaf({2, 3}), leaf({2, 2})});
    expect_gradients("stack", [](auto& x) { return stack({x[0], x[1]}, 0); }, {leaf({2, 3}), transposed_leaf(2, 3)});
    expect_gradients("split", [](auto& x) { return mul(split(x[0], 2, 0)[1], 2.0); }, {leaf({5, 2})});
    expect_gradients("chunk", [](auto& x) { return chunk(x[0], 3, 1).back(); }, {leaf({2, 7})});
  });
}

TEST_CASE("gradients of indexing, triangles, scans and selections") {
  for_each_device([](Device device) {
    const GradientCheck expect_gradients{device};
    const Tensor index = indices({2, 0, 1, 1, 3, 3}, {3, 2}, device);
    expect_gradients("gather", [&](auto& x) { return gather(x[0], 1, index); }, {leaf({3, 4})});
    const Tensor rows = indices({1, 1, 0, 3}, {4}, device);
    expect_gradients("index_select", [&](auto& x) { return index_select(x[0], 0, rows); }, {leaf({4, 3})});
    expect_gradients("embedding", [&](auto& x) { return embedding(x[0], index); }, {leaf({4, 3})});
    expect_gradients("scatter_add", [&](auto& x) { return scatter_add(x[0], 1, index, x[1]); },
                     {leaf({3, 4}), leaf({3, 2})});
    expect_gradients("index_add", [&](auto& x) { return index_add(x[0], 0, rows, x[1]); },
                     {leaf({4, 3}), leaf({4, 3})});
    expect_gradients("triu", [](auto& x) { return triu(x[0], 1); }, {leaf({2, 4, 4})});
    expect_gradients("tril", [](auto& x) { return tril(x[0]); }, {transposed_leaf(4, 3)});
    expect_gradients("cumsum", [](auto& x) { return cumsum(x[0], 1); }, {leaf({3, 5})});
    expect_gradients("cumsum dim 0", [](auto& x) { return cumsum(x[0], 0); }, {transposed_leaf(4, 3)});
    expect_gradients("sort", [](auto& x) { return sort(x[0], 1, true).first; }, {leaf({3, 5})});
    expect_gradients("topk", [](auto& x) { return topk(x[0], 2, 0).first; }, {leaf({5, 3})});
  });
}

TEST_CASE("gradients of embeddings: repeated ids, a tied output head, a weight that is not a leaf") {
  for_each_device([](Device device) {
    const GradientCheck expect_gradients{device};
    const Tensor ids = indices({3, 0, 3, 3, 1, -1}, {2, 3}, device);  // -1 is row 4
    expect_gradients("embedding, repeated ids", [&](auto& x) { return embedding(x[0], ids); }, {leaf({5, 3})});
    expect_gradients("index_select dim 1, repeated ids",
                     [&](auto& x) { return index_select(x[0], 1, ops::reshape(ids, {-1})); }, {transposed_leaf(3, 5)});
    // GPT-2's wte: the lookup's sparse rows and the head's dense matmul gradient meet in one leaf,
    // in either order.
    expect_gradients("tied embedding and head",
                     [&](auto& x) { return matmul(embedding(x[0], ids), transpose(x[0], 0, 1)); }, {leaf({5, 3})});
    expect_gradients("tied head and embedding",
                     [&](auto& x) { return matmul(x[0], transpose(embedding(x[0], ids), -1, -2)); }, {leaf({5, 3})});
    expect_gradients("embedding of a scaled weight", [&](auto& x) { return embedding(x[0] * 2.0, ids); }, {leaf({5, 3})});
  });
}

TEST_CASE("gradients through a composed network: linear, layer norm, softmax cross-entropy") {
  for_each_device([](Device device) {
    const GradientCheck expect_gradients{device};
    const Tensor targets = indices({2, 0, 1}, {3}, device);
    expect_gradients(
        "mlp loss",
        [&](auto& x) {
          const Tensor h = gelu(matmul(x[0], x[1]) + x[2], true);
          const Tensor centered = h - mean(h, {-1}, true);
          const Tensor normed = centered * rsqrt(var(h, {-1}, 0, true) + 1e-5);
          const Tensor logp = log_softmax(matmul(normed, x[3]), -1);
          return neg(mean(gather(logp, 1, unsqueeze(targets, 1))));
        },
        {leaf({3, 4}), leaf({4, 5}), leaf({5}), leaf({5, 3})});
  });
}

TEST_CASE("fused row cross-entropy: gradients, and values equal to -log_softmax gathered") {
  for_each_device([](Device device) {
    const GradientCheck expect_gradients{device};
    const Tensor targets = indices({2, 0, 4, 1}, {4}, device);
    expect_gradients("cross_entropy_rows", [&](auto& x) { return cross_entropy_rows(x[0], targets); },
                     {leaf({4, 5}, -3.0, 3.0)});
    expect_gradients("cross_entropy_rows, transposed logits",
                     [&](auto& x) { return cross_entropy_rows(x[0], targets); }, {transposed_leaf(4, 5)});
    const Tensor logits = uniform({4, 5}, -3.0, 3.0, {kFloat64, device}, &rng());
    const Tensor unfused = neg(squeeze(gather(log_softmax(logits, -1), 1, unsqueeze(targets, 1)), 1));
    const Tensor fused = cross_entropy_rows(logits, targets);
    CHECK(ops::reduce(ops::ReduceOp::Max, abs(fused - unfused), {}, false).item<double>() < 1e-12);
  });
}

TEST_CASE("fused row cross-entropy names a target outside the classes") {
  const Tensor logits = zeros({2, 3}, {kFloat32});
  CHECK_THROWS_WITH_AS(cross_entropy_rows(logits, from_vector(std::vector<int64_t>{0, 3})),
                       doctest::Contains("target 3 is outside the 3 classes"), Error);
  CHECK_THROWS_WITH_AS(cross_entropy_rows(logits, from_vector(std::vector<int64_t>{0})),
                       doctest::Contains("must be float32/float64 [N, V] and int64 [N]"), Error);
}

TEST_CASE("fused layer_norm: gradients, and values equal to the composed (x - mean) * rsqrt(var + eps) * w + b") {
  for_each_device([](Device device) {
    const GradientCheck expect_gradients{device};
    expect_gradients("layer_norm", [](auto& x) { return layer_norm(x[0], x[1], x[2], 1e-5); },
                     {leaf({2, 3, 4}), leaf({4}), leaf({4})});
    expect_gradients("layer_norm, transposed input", [](auto& x) { return layer_norm(x[0], x[1], x[2], 1e-5); },
                     {transposed_leaf(3, 4), leaf({4}), leaf({4})});
    const Tensor x = uniform({5, 6}, -2.0, 2.0, {kFloat64, device}, &rng()) + 10.0;
    const Tensor w = uniform({6}, -1.0, 1.0, {kFloat64, device}, &rng());
    const Tensor b = uniform({6}, -1.0, 1.0, {kFloat64, device}, &rng());
    const Tensor centered = x - mean(x, {-1}, true);
    const Tensor composed = centered * rsqrt(mean(square(centered), {-1}, true) + 1e-5) * w + b;
    CHECK(ops::reduce(ops::ReduceOp::Max, abs(layer_norm(x, w, b, 1e-5) - composed), {}, false).item<double>() < 1e-12);
    CHECK_THROWS_WITH_AS(layer_norm(x, w, ops::to(b, kFloat32), 1e-5),
                         doctest::Contains("must be [..., D], [D] and [D] of one dtype"), Error);
    CHECK_THROWS_WITH_AS(layer_norm(x, w, zeros({5}, {kFloat64, device}), 1e-5),
                         doctest::Contains("bias [5]"), Error);
  });
}

namespace {

// The reference of the fused causal attention: every score computed, the future masked with
// -inf, softmax, then the values; k and v repeated over the query heads that share them.
Tensor composed_causal_attention(const Tensor& q, const Tensor& k, const Tensor& v) {
  const int64_t tokens = q.size(2), keys = k.size(2), group = q.size(1) / k.size(1);
  std::vector<double> future;
  for (int64_t i = 0; i < tokens; ++i)
    for (int64_t j = 0; j < keys; ++j) future.push_back(j > keys - tokens + i ? 1.0 : 0.0);
  const Tensor mask = from_vector(future, {tokens, keys}, TensorOptions{kBool, q.device()});
  auto repeat_heads = [&](const Tensor& t) {
    const Tensor spread = expand(unsqueeze(t, 2), {t.size(0), t.size(1), group, t.size(2), t.size(3)});
    return reshape(spread, {t.size(0), t.size(1) * group, t.size(2), t.size(3)});
  };
  const Tensor scores = matmul(q, transpose(repeat_heads(k), -2, -1)) / std::sqrt(double(q.size(3)));
  return matmul(softmax(masked_fill(scores, mask, -INFINITY), -1), repeat_heads(v));
}

}  // namespace

TEST_CASE("fused causal attention: gradients, and values equal to the masked composition") {
  for_each_device([](Device device) {
    const GradientCheck expect_gradients{device};
    const auto fused = [](auto& x) { return fused_causal_attention(x[0], x[1], x[2]); };
    // One query block and several (the kernel takes 64 queries at a time), heads sharing keys,
    // queries after a prefix of keys, and strided views as GPT-2's split heads are.
    expect_gradients("causal attention", fused, {leaf({2, 2, 5, 3}), leaf({2, 2, 5, 3}), leaf({2, 2, 5, 3})});
    expect_gradients("causal attention, grouped heads, queries after a prefix", fused,
                     {leaf({1, 4, 3, 2}), leaf({1, 2, 6, 2}), leaf({1, 2, 6, 2})});
    expect_gradients("causal attention, transposed views", [](auto& x) {
      return fused_causal_attention(transpose(x[0], 1, 2), transpose(x[1], 1, 2), transpose(x[2], 1, 2));
    }, {leaf({1, 4, 2, 3}), leaf({1, 4, 2, 3}), leaf({1, 4, 2, 3})});
    for (const auto& [heads, kv_heads, tokens, keys] :
         std::vector<std::array<int64_t, 4>>{{2, 2, 150, 150}, {4, 2, 70, 130}, {3, 1, 1, 9}}) {
      INFO(heads << " heads, " << kv_heads << " key/value heads, " << tokens << " queries, " << keys << " keys");
      Tensor q = uniform({2, heads, tokens, 8}, -2.0, 2.0, {kFloat64, device}, &rng()).set_requires_grad();
      Tensor k = uniform({2, kv_heads, keys, 8}, -2.0, 2.0, {kFloat64, device}, &rng()).set_requires_grad();
      Tensor v = uniform({2, kv_heads, keys, 8}, -1.0, 1.0, {kFloat64, device}, &rng()).set_requires_grad();
      const Tensor w = uniform({2, heads, tokens, 8}, -1.0, 1.0, {kFloat64, device}, &rng());
      auto outputs_and_gradients = [&](const Tensor& out) {
        for (Tensor* t : {&q, &k, &v}) t->zero_grad();
        backward(sum(out * w));
        return std::vector<Tensor>{out, q.grad(), k.grad(), v.grad()};
      };
      const std::vector<Tensor> got = outputs_and_gradients(fused_causal_attention(q, k, v));
      const std::vector<Tensor> want = outputs_and_gradients(composed_causal_attention(q, k, v));
      for (size_t i = 0; i < got.size(); ++i) {
        INFO("output 0, gradients of q, k, v 1-3: " << i);
        CHECK(ops::reduce(ops::ReduceOp::Max, abs(got[i] - want[i]), {}, false).item<double>() < 1e-12);
      }
    }
    // GPT-2's packed projection [B, T, 3 * heads * D], split and merged around the same op.
    const auto packed = [](auto& x) { return fused_causal_attention_packed(x[0], 2); };
    expect_gradients("causal attention, packed heads", packed, {leaf({2, 5, 12})});
    expect_gradients("causal attention, packed heads of a transposed projection", packed,
                     {ops::transpose(leaf({2, 12, 3}), 1, 2).set_requires_grad()});
    {
      Tensor qkv = uniform({2, 70, 3 * 3 * 4}, -2.0, 2.0, {kFloat64, device}, &rng()).set_requires_grad();
      const Tensor w = uniform({2, 70, 12}, -1.0, 1.0, {kFloat64, device}, &rng());
      auto output_and_gradient = [&](const Tensor& out) {
        qkv.zero_grad();
        backward(sum(out * w));
        return std::pair{out, qkv.grad()};
      };
      auto heads = [](const Tensor& t) { return transpose(reshape(t, {2, 70, 3, 4}), 1, 2); };
      const std::vector<Tensor> parts = split(qkv, 12, -1);
      const auto [got, got_grad] = output_and_gradient(fused_causal_attention_packed(qkv, 3));
      const Tensor composed = composed_causal_attention(heads(parts[0]), heads(parts[1]), heads(parts[2]));
      const auto [want, want_grad] = output_and_gradient(reshape(transpose(composed, 1, 2), {2, 70, 12}));
      CHECK(ops::reduce(ops::ReduceOp::Max, abs(got - want), {}, false).item<double>() < 1e-12);
      CHECK(ops::reduce(ops::ReduceOp::Max, abs(got_grad - want_grad), {}, false).item<double>() < 1e-12);
    }
    CHECK_THROWS_WITH_AS(fused_causal_attention_packed(leaf({1, 4, 10}), 2),
                         doctest::Contains("qkv [1, 4, 10] must be [B, T, 3 * heads * head_dim] with 2 heads"), Error);
    CHECK_THROWS_WITH_AS(fused_causal_attention(leaf({1, 3, 4, 2}), leaf({1, 2, 4, 2}), leaf({1, 2, 4, 2})),
                         doctest::Contains("with H_kv dividing H and S >= T"), Error);
    CHECK_THROWS_WITH_AS(fused_causal_attention(leaf({1, 2, 5, 2}), leaf({1, 2, 4, 2}), leaf({1, 2, 4, 2})),
                         doctest::Contains("q [1, 2, 5, 2], k [1, 2, 4, 2]"), Error);
  });
}

TEST_CASE("fused rms_norm: gradients, and values equal to the composed x * rsqrt(mean(x^2) + eps) * w") {
  for_each_device([](Device device) {
    const GradientCheck expect_gradients{device};
    expect_gradients("rms_norm", [](auto& x) { return rms_norm(x[0], x[1], 1e-5); },
                     {leaf({2, 3, 4}), leaf({4})});
    expect_gradients("rms_norm, transposed input", [](auto& x) { return rms_norm(x[0], x[1], 1e-5); },
                     {transposed_leaf(3, 4), leaf({4})});
    const Tensor x = uniform({5, 6}, -2.0, 2.0, {kFloat64, device}, &rng());
    const Tensor w = uniform({6}, -1.0, 1.0, {kFloat64, device}, &rng());
    const Tensor composed = x * rsqrt(mean(square(x), {-1}, true) + 1e-5) * w;
    CHECK(ops::reduce(ops::ReduceOp::Max, abs(rms_norm(x, w, 1e-5) - composed), {}, false).item<double>() < 1e-12);
    CHECK_THROWS_WITH_AS(rms_norm(x, ops::to(w, kFloat32), 1e-5),
                         doctest::Contains("must be [..., D] and [D] of one dtype"), Error);
  });
}

TEST_CASE("gradient of a wide bias: the sum over leading dims into 20 and 300 columns") {
  for_each_device([](Device device) {
    const GradientCheck expect_gradients{device};
    expect_gradients("bias [20]", [](auto& x) { return add(x[0], x[1]); }, {leaf({3, 4, 20}), leaf({20})});
    expect_gradients("mean over dim 0", [](auto& x) { return mean(x[0], {0}); }, {leaf({5, 300})});
  });
}
