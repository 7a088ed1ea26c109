// get_response_log_probs and compute_entropy on small random models: values against the
// model's own logits, gradients to the parameters against central differences, and errors.
#include <doctest/doctest.h>

#include <string>

#include "bytegrad.h"
#include "infer/scoring.h"
#include "tests/infer/small_models.h"
#include "tests/test_util.h"

namespace bytegrad::infer {
namespace {

using testing::SmallModel;

const Tensor& input_ids() {
  static const Tensor ids = from_vector(std::vector<int64_t>{3, 17, 8, 28, 0, 11, 5, 21, 9, 14}, {2, 5});
  return ids;
}
const Tensor& labels() {
  static const Tensor ids = from_vector(std::vector<int64_t>{17, 8, 28, 0, 2, 21, 9, 14, 30, 30}, {2, 5});
  return ids;
}

TEST_CASE("get_response_log_probs gathers log_softmax of the logits at the labels") {
  for (const char* type : {"llama", "gpt2"}) {
    INFO(type);
    SmallModel small(type);
    small.model.eval();
    const ResponseLogProbs result = get_response_log_probs(small.model, input_ids(), labels(), true);
    const Tensor log_probs = log_softmax(small.model.forward(input_ids()), -1);  // [2, 5, 31]
    const std::vector<double> all = log_probs.to_vector<double>();
    const std::vector<int64_t> targets = labels().to_vector<int64_t>();
    std::vector<double> expected;
    for (size_t i = 0; i < targets.size(); ++i) expected.push_back(all[i * 31 + size_t(targets[i])]);
    testing::check_values(result.log_probs, expected, 1e-6);
    testing::check_close(result.token_entropy, compute_entropy(small.model.forward(input_ids())), 1e-6);
  }
}

TEST_CASE("get_response_log_probs leaves the entropy out unless asked") {
  SmallModel small("llama");
  CHECK_FALSE(get_response_log_probs(small.model, input_ids(), labels()).token_entropy.defined());
}

TEST_CASE("compute_entropy is between 0 and log V and is the entropy of softmax") {
  Generator generator(2);
  const Tensor logits = randn({2, 3, 6}, {kFloat64, kCPU}, &generator);
  const std::vector<double> values = compute_entropy(logits).to_vector<double>();
  const std::vector<double> probs = softmax(logits, -1).to_vector<double>();
  for (size_t row = 0; row < 6; ++row) {
    double expected = 0;
    for (size_t v = 0; v < 6; ++v) expected -= probs[row * 6 + v] * std::log(probs[row * 6 + v]);
    CHECK(values[row] == doctest::Approx(expected).epsilon(1e-12));
    CHECK(values[row] <= std::log(6.0));
  }
}

TEST_CASE("gradients of the log-probs and entropy reach the parameters in training mode") {
  // A tiny float64 Llama so that central differences over every parameter stay cheap.
  nn::ModelConfig config = testing::small_model_config("llama");
  config.vocab_size = 7;
  config.hidden_size = 8;
  config.num_hidden_layers = 1;
  config.num_attention_heads = 2;
  config.num_key_value_heads = 1;
  config.intermediate_size = 12;
  SmallModel small("llama", config);
  small.model.to(kFloat64);
  small.model.train();
  const Tensor ids = from_vector(std::vector<int64_t>{1, 5, 2, 6, 0, 3}, {2, 3});
  const Tensor targets = from_vector(std::vector<int64_t>{5, 2, 4, 0, 3, 3}, {2, 3});
  const std::vector<Tensor> parameters = small.model.parameters();
  const GradcheckResult result = gradcheck(
      [&](const std::vector<Tensor>&) {
        const ResponseLogProbs scored = get_response_log_probs(small.model, ids, targets, true);
        return cat({scored.log_probs, scored.token_entropy}, 1);
      },
      parameters);
  CHECK_MESSAGE(result.passed, result.message);
  CHECK(small.model.is_training());
}

TEST_CASE("get_response_log_probs names mismatched shapes") {
  SmallModel small("gpt2");
  const std::string message = testing::error_of([&] {
    get_response_log_probs(small.model, input_ids(), narrow(labels(), 1, 0, 4));
  });
  CHECK(message.find("input_ids [2, 5] and labels [2, 4]") != std::string::npos);
}

}  // namespace
}  // namespace bytegrad::infer
