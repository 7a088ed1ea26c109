// token_log_probs and token_entropy: values against direct formulas and PyTorch, gradients
// against central differences (float64) and PyTorch, and their shape errors.
#include <doctest/doctest.h>

#include <cmath>

#include "bytegrad.h"
#include "nn/token_log_probs.h"
#include "tests/infer/python_reference.h"
#include "tests/test_util.h"

namespace bytegrad::nn {
namespace {

using Inputs = std::vector<Tensor>;

TEST_CASE("token_log_probs picks log softmax at each label") {
  const std::vector<double> row0 = {0.5, -1.0, 2.0}, row1 = {1.5, 0.3, -0.7};
  const Tensor logits = from_vector(std::vector<double>{0.5, -1.0, 2.0, 1.5, 0.3, -0.7}, {1, 2, 3});
  const Tensor labels = from_vector(std::vector<int64_t>{2, 1}, {1, 2});
  auto log_prob = [](const std::vector<double>& row, size_t label) {
    double total = 0;
    for (double x : row) total += std::exp(x);
    return row[label] - std::log(total);
  };
  const Tensor result = token_log_probs(logits, labels);
  CHECK(shape_str(result.shape()) == "[1, 2]");
  testing::check_values(result, {log_prob(row0, 2), log_prob(row1, 1)}, 1e-12);
}

TEST_CASE("token_entropy is log V for uniform logits and 0 for a certain token") {
  const Tensor logits = from_vector(std::vector<double>{0, 0, 0, 0, 800, 0, 0, 0}, {1, 2, 4});
  testing::check_values(token_entropy(logits), {std::log(4.0), 0.0}, 1e-12);
}

TEST_CASE("token_entropy stays finite for logits that would overflow exp") {
  const Tensor logits = from_vector(std::vector<float>{1000, 1000, -1000, 3000}, {1, 1, 4});
  const Tensor two_way = from_vector(std::vector<float>{1000, 1000, -1000, -1000}, {1, 1, 4});
  testing::check_values(token_entropy(logits), {0.0}, 1e-6);
  testing::check_values(token_entropy(two_way), {std::log(2.0)}, 1e-6);
}

TEST_CASE("token_log_probs and token_entropy gradients match central differences") {
  Generator generator(11);
  const Tensor logits = randn({2, 3, 5}, {kFloat64, kCPU}, &generator).set_requires_grad();
  const Tensor labels = randint(0, 5, {2, 3}, {kInt64, kCPU}, &generator);
  const GradcheckResult log_probs =
      gradcheck([&](const Inputs& in) { return token_log_probs(in[0], labels); }, {logits});
  CHECK_MESSAGE(log_probs.passed, log_probs.message);
  const GradcheckResult entropy =
      gradcheck([&](const Inputs& in) { return token_entropy(in[0]); }, {logits});
  CHECK_MESSAGE(entropy.passed, entropy.message);
}

TEST_CASE("token_log_probs and token_entropy match PyTorch, values and gradients") {
  const auto reference = testing::run_torch_reference("torch_scoring.py", "torch_scoring.json");
  if (!reference) {
    MESSAGE("skipped: /usr/bin/python3 with torch is not available");
    return;
  }
  for (const auto& [name, entry] : reference->items()) {
    INFO("case " << name);
    const Shape shape = entry.at("shape").get<Shape>();
    const Shape rows = {shape[0], shape[1]};
    Tensor logits = from_vector(entry.at("logits").get<std::vector<double>>(), shape);
    logits.set_requires_grad();
    const Tensor labels = from_vector(entry.at("labels").get<std::vector<int64_t>>(), rows);
    const Tensor log_probs = token_log_probs(logits, labels);
    const Tensor entropy = token_entropy(logits);
    testing::check_close(log_probs, from_vector(entry.at("log_probs").get<std::vector<double>>(), rows), 1e-9);
    testing::check_close(entropy, from_vector(entry.at("entropy").get<std::vector<double>>(), rows), 1e-9);
    const Tensor w_log_probs = from_vector(entry.at("w_log_probs").get<std::vector<double>>(), rows);
    const Tensor w_entropy = from_vector(entry.at("w_entropy").get<std::vector<double>>(), rows);
    backward(sum(log_probs * w_log_probs) + sum(entropy * w_entropy));
    testing::check_close(logits.grad(),
                         from_vector(entry.at("grad_logits").get<std::vector<double>>(), shape), 1e-9);
  }
}

TEST_CASE("token_log_probs names the shapes it cannot pair") {
  const std::string message = testing::error_of([] {
    token_log_probs(zeros({2, 3, 4}), zeros({2, 4}, {kInt64, kCPU}));
  });
  CHECK(message.find("logits [2, 3, 4] and labels [2, 4]") != std::string::npos);
  CHECK(testing::error_of([] { token_log_probs(zeros({2, 3, 4}), zeros({2, 3})); })
            .find("int64") != std::string::npos);
  CHECK(testing::error_of([] { token_entropy(zeros({3, 4})); }).find("[3, 4]") !=
        std::string::npos);
}

TEST_CASE("token_log_probs rejects a label outside the vocabulary") {
  const Tensor labels = from_vector(std::vector<int64_t>{0, 4}, {1, 2});
  CHECK_THROWS_AS(token_log_probs(zeros({1, 2, 4}), labels), Error);
}

}  // namespace
}  // namespace bytegrad::nn
