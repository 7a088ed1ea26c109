// The SFT objective: the masked mean negative log-likelihood equals a hand computation from the
// logits, only response tokens send gradient, the KL to an identical reference is zero, and the
// differentiable pieces pass float64 gradient checks.
#include <cmath>

#include "tests/tiny_llama.h"
#include "autograd/gradcheck.h"
#include "nn/model_family.h"
#include "nn/llama.h"
#include "tests/test_util.h"
#include "tests/train/sft/word_tokenizer.h"
#include "train/sft/loss.h"

namespace bytegrad::train {
namespace {

// A batch over logits [2, 4, 6]: row 0 trains on positions 1-2, row 1 on position 3 only.
SftBatch small_batch() {
  SftBatch batch;
  batch.input_ids = from_vector(std::vector<int64_t>{1, 2, 3, 4, 5, 0, 1, 2}, {2, 4});
  batch.labels = from_vector(std::vector<int64_t>{2, 3, 4, 5, 0, 1, 2, 3}, {2, 4});
  batch.response_mask = from_vector(std::vector<float>{0, 1, 1, 0, 0, 0, 0, 1}, {2, 4});
  batch.response_tokens = 3;
  return batch;
}

// log softmax(row)[label] in double.
double log_prob(const std::vector<double>& row, int64_t label) {
  double top = row[0];
  for (double v : row) top = std::max(top, v);
  double total = 0;
  for (double v : row) total += std::exp(v - top);
  return row[size_t(label)] - top - std::log(total);
}

std::vector<double> logits_row(const std::vector<double>& all, int64_t position, int64_t vocab) {
  return {all.begin() + position * vocab, all.begin() + (position + 1) * vocab};
}

nn::ModelConfig tiny_llama() { return testing::tiny_llama_config(42, 16, 16); }

// The parameters' gradients after one backward of the SFT loss of `batch`.
std::vector<std::vector<float>> parameter_gradients(nn::CausalLM& model, const SftBatch& batch) {
  model.zero_grad();
  backward(sft_microbatch_loss(model.forward(batch.input_ids), batch, 1).scaled_loss);
  std::vector<std::vector<float>> grads;
  for (const Tensor& p : model.parameters()) grads.push_back(p.grad().to_vector<float>());
  return grads;
}

}  // namespace

TEST_CASE("the SFT loss is the mean negative log-likelihood of the response tokens, by hand") {
  Generator generator(11);
  const Tensor logits = randn({2, 4, 6}, {}, &generator);
  const SftBatch batch = small_batch();
  const std::vector<double> values = logits.to_vector<double>();
  const std::vector<int64_t> labels = batch.labels.to_vector<int64_t>();
  const std::vector<float> mask = batch.response_mask.to_vector<float>();
  double nll = 0, entropy = 0;
  for (int64_t position = 0; position < 8; ++position) {
    if (mask[size_t(position)] == 0) continue;
    const std::vector<double> row = logits_row(values, position, 6);
    nll -= log_prob(row, labels[size_t(position)]);
    for (int64_t v = 0; v < 6; ++v) entropy -= std::exp(log_prob(row, v)) * log_prob(row, v);
  }
  nll /= 3;
  entropy /= 3;

  const SftMicrobatchLoss loss = sft_microbatch_loss(logits, batch, 1);
  CHECK(loss.nll == doctest::Approx(nll).epsilon(1e-6));
  CHECK(loss.entropy == doctest::Approx(entropy).epsilon(1e-6));
  CHECK(loss.scaled_loss.item<double>() == doctest::Approx(nll).epsilon(1e-6));
  CHECK_FALSE(loss.kl.has_value());
  // With gradient accumulation each micro-batch contributes its loss over the step count.
  CHECK(sft_microbatch_loss(logits, batch, 4).scaled_loss.item<double>() == doctest::Approx(nll / 4).epsilon(1e-6));
  // masked_normalize along the sequence: per-row sums of the masked values over the constant.
  bytegrad::testing::check_values(masked_normalize(ones({2, 4}), batch.response_mask, 2.0, 1), {1.0, 0.5});
}

TEST_CASE("masked positions send no gradient to the logits; response positions get (p - onehot) / n") {
  Generator generator(12);
  const Tensor logits = randn({2, 4, 6}, {}, &generator).set_requires_grad();
  const SftBatch batch = small_batch();
  backward(sft_microbatch_loss(logits, batch, 1).scaled_loss);
  const std::vector<double> grad = logits.grad().to_vector<double>();
  const std::vector<double> values = logits.to_vector<double>();
  const std::vector<int64_t> labels = batch.labels.to_vector<int64_t>();
  const std::vector<float> mask = batch.response_mask.to_vector<float>();
  for (int64_t position = 0; position < 8; ++position) {
    const std::vector<double> row = logits_row(values, position, 6);
    for (int64_t v = 0; v < 6; ++v) {
      CAPTURE(position);
      CAPTURE(v);
      const double g = grad[size_t(position * 6 + v)];
      if (mask[size_t(position)] == 0) {
        CHECK(g == 0.0);
      } else {
        const double expected = (std::exp(log_prob(row, v)) - (v == labels[size_t(position)] ? 1.0 : 0.0)) / 3.0;
        CHECK(g == doctest::Approx(expected).epsilon(1e-5));
      }
    }
  }
}

TEST_CASE("through a model, the labels of masked positions do not change any parameter's gradient") {
  Generator generator(13);
  const std::unique_ptr<nn::CausalLM> model_owner = nn::build_causal_lm("llama", tiny_llama(), generator);
  nn::CausalLM& model = *model_owner;
  const tokenizer::Tokenizer tok = testing::character_tokenizer();
  SftBatch batch = tokenize_prompt_and_output({"12+34=", "5+5="}, {"46", "10"}, tok);
  const std::vector<std::vector<float>> before = parameter_gradients(model, batch);

  // Relabel every prompt and padding position: a loss that leaked outside the mask would move.
  std::vector<int64_t> labels = batch.labels.to_vector<int64_t>();
  const std::vector<float> mask = batch.response_mask.to_vector<float>();
  for (size_t i = 0; i < labels.size(); ++i)
    if (mask[i] == 0) labels[i] = (labels[i] + 7) % 42;
  batch.labels = from_vector(labels, batch.labels.shape());
  const std::vector<std::vector<float>> after = parameter_gradients(model, batch);
  REQUIRE(before.size() == after.size());
  for (size_t i = 0; i < before.size(); ++i) CHECK(before[i] == after[i]);

  // Relabelling a response position does change them.
  for (size_t i = 0; i < labels.size(); ++i)
    if (mask[i] == 1) {
      labels[i] = (labels[i] + 7) % 42;
      break;
    }
  batch.labels = from_vector(labels, batch.labels.shape());
  CHECK(parameter_gradients(model, batch) != before);
}

TEST_CASE("the KL to a reference is zero, with zero gradient, when the model equals the reference") {
  Generator g1(21), g2(21), g3(22);
  nn::Llama model(tiny_llama(), g1), same(tiny_llama(), g2), other(tiny_llama(), g3);
  const tokenizer::Tokenizer tok = testing::character_tokenizer();
  const SftBatch batch = tokenize_prompt_and_output({"12+34=", "5+5="}, {"46", "10"}, tok);

  const Tensor logits = model.forward(batch.input_ids);
  const Tensor reference = same.forward(batch.input_ids).detach();
  const SftMicrobatchLoss with_kl = sft_microbatch_loss(logits, batch, 1, &reference, 0.5);
  REQUIRE(with_kl.kl.has_value());
  CHECK(std::fabs(*with_kl.kl) < 1e-7);
  CHECK(with_kl.scaled_loss.item<double>() == doctest::Approx(with_kl.nll).epsilon(1e-6));

  const Tensor leaf = logits.detach().set_requires_grad();
  backward(sum(token_kl_divergence(leaf, reference)));
  for (double g : leaf.grad().to_vector<double>()) CHECK(std::fabs(g) < 1e-7);

  // A different reference gives a positive KL that adds kl_coef times itself to the loss.
  const Tensor far = other.forward(batch.input_ids).detach();
  const SftMicrobatchLoss apart = sft_microbatch_loss(logits, batch, 1, &far, 0.5);
  CHECK(*apart.kl > 1e-4);
  CHECK(apart.scaled_loss.item<double>() == doctest::Approx(apart.nll + 0.5 * *apart.kl).epsilon(1e-6));
}

TEST_CASE("the per-token KL equals sum_v p_v (log p_v - log q_v) by hand") {
  Generator generator(23);
  const Tensor p = randn({1, 2, 5}, {}, &generator), q = randn({1, 2, 5}, {}, &generator);
  const std::vector<double> pv = p.to_vector<double>(), qv = q.to_vector<double>();
  std::vector<double> expected;
  for (int64_t t = 0; t < 2; ++t) {
    const std::vector<double> pr = logits_row(pv, t, 5), qr = logits_row(qv, t, 5);
    double kl = 0;
    for (int64_t v = 0; v < 5; ++v) kl += std::exp(log_prob(pr, v)) * (log_prob(pr, v) - log_prob(qr, v));
    expected.push_back(kl);
  }
  bytegrad::testing::check_values(token_kl_divergence(p, q), expected, 1e-6);
  CHECK(bytegrad::testing::error_of([&] { token_kl_divergence(p, randn({1, 3, 5})); }).find("[1, 3, 5]") !=
        std::string::npos);
}

TEST_CASE("the SFT loss with a KL term passes a float64 gradient check") {
  Generator generator(24);
  const SftBatch batch = small_batch();
  const Tensor logits = randn({2, 4, 6}, {kFloat64, kCPU}, &generator).set_requires_grad();
  const Tensor reference = randn({2, 4, 6}, {kFloat64, kCPU}, &generator);
  const GradcheckResult result = gradcheck(
      [&](const std::vector<Tensor>& in) { return sft_microbatch_loss(in[0], batch, 2, &reference, 0.3).scaled_loss; },
      {logits});
  CHECK_MESSAGE(result.passed, result.message);
  const GradcheckResult masked = gradcheck(
      [&](const std::vector<Tensor>& in) { return masked_normalize(in[0], batch.response_mask, 1.5, 1); },
      {randn({2, 4}, {kFloat64, kCPU}, &generator).set_requires_grad()});
  CHECK_MESSAGE(masked.passed, masked.message);
}

TEST_CASE("a batch without response tokens and mismatched shapes are errors") {
  SftBatch batch = small_batch();
  batch.response_mask = zeros({2, 4});
  batch.response_tokens = 0;
  CHECK(bytegrad::testing::error_of([&] { sft_microbatch_loss(randn({2, 4, 6}), batch, 1); })
            .find("without response tokens") != std::string::npos);
  CHECK(bytegrad::testing::error_of([&] { masked_normalize(ones({2, 4}), ones({2, 3}), 1.0); })
            .find("[2, 3]") != std::string::npos);
}

}  // namespace bytegrad::train
