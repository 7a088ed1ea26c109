// Attention with an explicit mask (nn::attention): per-sequence masks agree with attending each
// sequence alone, blocked keys never change the output, the causal form is the [T, S] case,
// gradients through the mask match central differences, and causal attention picks the fused op
// exactly where it applies.
#include <doctest/doctest.h>

#include "bytegrad.h"
#include "nn/attention.h"
#include "tests/devices.h"
#include "tests/test_util.h"

namespace bytegrad::nn {
namespace {

using testing::check_close;
using testing::for_each_device;

// bool [B, T, S], true where sequence b's key s lies at or after `lengths[b]` (its padding).
Tensor key_padding(const std::vector<int64_t>& lengths, int64_t tokens, int64_t keys) {
  std::vector<uint8_t> blocked;
  for (int64_t length : lengths)
    for (int64_t t = 0; t < tokens; ++t)
      for (int64_t s = 0; s < keys; ++s) blocked.push_back(s >= length);
  return to(from_vector(blocked, {int64_t(lengths.size()), tokens, keys}), kBool);
}

TEST_CASE("a key padding mask gives each sequence what it gives alone, whatever is in the pads") {
  for_each_device([](Device device) {
    Generator generator(11);
    const Dropout no_dropout(0.0, generator);
    const std::vector<int64_t> lengths = {5, 3};
    Tensor q = to(randn({2, 4, 5, 8}, {}, &generator), device);
    Tensor k = to(randn({2, 2, 5, 8}, {}, &generator), device);
    Tensor v = to(randn({2, 2, 5, 8}, {}, &generator), device);
    const Tensor mask = to(key_padding(lengths, 5, 5), device);
    const Tensor out = attention(q, k, v, mask, no_dropout);
    for (int64_t b = 0; b < 2; ++b) {
      const int64_t n = lengths[size_t(b)];
      const Tensor alone = attention(narrow(q, 0, b, 1), narrow(narrow(k, 0, b, 1), 2, 0, n),
                                     narrow(narrow(v, 0, b, 1), 2, 0, n), Tensor(), no_dropout);
      check_close(narrow(out, 0, b, 1), alone, 1e-5, 1e-5);
    }
    // Garbage in the padded keys and values of sequence 1 changes nothing.
    NoGradGuard no_grad;
    Tensor k2 = clone(k), v2 = clone(v);
    ops::copy_(narrow(narrow(k2, 0, 1, 1), 2, 3, 2), full({1, 2, 2, 8}, 1e3, {kFloat32, device}));
    ops::copy_(narrow(narrow(v2, 0, 1, 1), 2, 3, 2), full({1, 2, 2, 8}, -7.0, {kFloat32, device}));
    check_close(attention(q, k2, v2, mask, no_dropout), out, 1e-6, 1e-6);
  });
}

TEST_CASE("causal_attention is attention with the [T, S] causal mask") {
  Generator generator(12);
  const Dropout no_dropout(0.0, generator);
  const Tensor q = randn({1, 2, 3, 4}, {}, &generator);
  const Tensor k = randn({1, 2, 5, 4}, {}, &generator), v = randn({1, 2, 5, 4}, {}, &generator);
  check_close(causal_attention(q, k, v, 2, no_dropout),
              attention(q, k, v, causal_mask(2, 3, 5, kCPU), no_dropout), 1e-6, 1e-6);
  // The same mask given per sequence ([B, T, S]) agrees too.
  check_close(causal_attention(q, k, v, 2, no_dropout),
              attention(q, k, v, unsqueeze(causal_mask(2, 3, 5, kCPU), 0), no_dropout), 1e-6, 1e-6);
}

TEST_CASE("attention names the mask's shape when it does not fit") {
  Generator generator(13);
  const Dropout no_dropout(0.0, generator);
  const Tensor q = randn({2, 2, 3, 4}, {}, &generator), k = randn({2, 2, 3, 4}, {}, &generator);
  const std::string message = testing::error_of(
      [&] { attention(q, k, k, to(zeros({3, 4}), kBool), no_dropout); });
  CHECK(message.find("mask [3, 4]") != std::string::npos);
  CHECK(testing::error_of([&] { attention(q, k, k, zeros({3, 3}), no_dropout); })
            .find("must be bool") != std::string::npos);
}

TEST_CASE("masked bidirectional attention: gradients match central differences") {
  for_each_device([](Device device) {
    Generator generator(14);
    const Dropout no_dropout(0.0, generator);
    const Tensor mask = to(key_padding({4, 2}, 4, 4), device);
    auto f = [&](const std::vector<Tensor>& in) {  // gradcheck compares on the CPU
      return to(attention(to(in[0], device), to(in[1], device), to(in[2], device), mask, no_dropout), kCPU);
    };
    const GradcheckResult result =
        gradcheck(f, {randn({2, 2, 4, 3}, {kFloat64, kCPU}, &generator).set_requires_grad(),
                      randn({2, 1, 4, 3}, {kFloat64, kCPU}, &generator).set_requires_grad(),
                      randn({2, 1, 4, 3}, {kFloat64, kCPU}, &generator).set_requires_grad()});
    CHECK_MESSAGE(result.passed, result.message);
  });
}

// The name of the op that produced t, as the autograd graph recorded it.
std::string recorded_op(const Tensor& t) { return t.autograd_meta()->grad_fn->name; }

TEST_CASE("causal attention over a whole sequence runs fused; decoding and dropout keep the masked form") {
  Generator generator(5);
  const Dropout no_dropout(0.0, generator);
  Dropout dropout(0.5, generator);
  const Tensor q = randn({1, 4, 6, 8}, {}, &generator).set_requires_grad();
  const Tensor k = randn({1, 2, 6, 8}, {}, &generator).set_requires_grad();
  const Tensor v = randn({1, 2, 6, 8}, {}, &generator).set_requires_grad();
  const Tensor fused = causal_attention(q, k, v, 0, no_dropout);
  CHECK(recorded_op(fused) == "causal_attention");
  // The same values as attention() with the [T, S] causal mask.
  check_close(fused, attention(q, k, v, causal_mask(0, 6, 6, kCPU), no_dropout), 1e-5, 1e-5);
  // The last two queries after a cached prefix of four: the masked composition.
  const Tensor late_q = narrow(q, 2, 4, 2);
  const Tensor decoded = causal_attention(late_q, k, v, 4, no_dropout);
  CHECK(recorded_op(decoded) != "causal_attention");
  check_close(decoded, narrow(fused, 2, 4, 2), 1e-5, 1e-5);
  // Dropout on the weights is not part of the fused op.
  CHECK(recorded_op(causal_attention(q, k, v, 0, dropout)) != "causal_attention");
  dropout.eval();
  CHECK(recorded_op(causal_attention(q, k, v, 0, dropout)) == "causal_attention");
}

}  // namespace
}  // namespace bytegrad::nn
