// generate(): KV-cache decoding against full forward passes, greedy decoding against a naive
// loop, batches of unequal prompts against each prompt alone, stop tokens, echo, log-probs,
// seeds, and its errors. Each behaviour is checked on a small random Llama and GPT-2.
#include <doctest/doctest.h>

#include <cmath>
#include <cstdint>
#include <string>
#include <vector>

#include "bytegrad.h"
#include "infer/generate.h"
#include "tests/infer/small_models.h"
#include "tests/test_util.h"

namespace bytegrad::infer {
namespace {

using testing::SmallModel;
using Rows = std::vector<std::vector<int64_t>>;

const char* const kModelTypes[] = {"llama", "gpt2"};

GenerationOptions greedy(int64_t max_gen_len) {
  GenerationOptions options;
  options.temperature = 0;
  options.max_gen_len = max_gen_len;
  return options;
}

Tensor row_tensor(const std::vector<int64_t>& ids) { return from_vector(ids, {1, int64_t(ids.size())}); }

// Greedy continuation by re-running the whole sequence each step, without a cache.
std::vector<int64_t> naive_greedy(const nn::CausalLM& model, std::vector<int64_t> ids, int64_t count) {
  NoGradGuard no_grad;
  std::vector<int64_t> generated;
  for (int64_t step = 0; step < count; ++step) {
    const Tensor logits = model.forward(row_tensor(ids));
    const int64_t next = argmax(select(select(logits, 0, 0), 0, int64_t(ids.size()) - 1)).item<int64_t>();
    ids.push_back(next);
    generated.push_back(next);
  }
  return generated;
}

TEST_CASE("decoding through the KV cache gives the logits of a full forward pass") {
  for (const char* type : kModelTypes) {
    INFO(type);
    SmallModel small(type);
    small.model.eval();
    NoGradGuard no_grad;
    const Tensor ids = from_vector(std::vector<int64_t>{3, 17, 8, 28, 0, 11, 5, 21, 9, 14, 2, 26, 7, 19, 30, 1}, {2, 8});
    const Tensor full = small.model.forward(ids);
    nn::KVCache cache = small.model.make_cache();
    std::vector<Tensor> steps = {small.model.forward(narrow(ids, 1, 0, 3), 0, &cache)};  // prefill
    for (int64_t pos = 3; pos < 8; ++pos) steps.push_back(small.model.forward(narrow(ids, 1, pos, 1), pos, &cache));
    testing::check_close(cat(steps, 1), full, 1e-5, 1e-5);
  }
}

TEST_CASE("greedy generation equals a loop of full forward passes and argmax") {
  for (const char* type : kModelTypes) {
    INFO(type);
    SmallModel small(type);
    const std::vector<int64_t> prompt = {4, 9, 1, 22};
    const GenerationResult result = generate(small.model, {prompt}, greedy(12));
    REQUIRE(result.tokens.size() == 1);
    CHECK(result.tokens[0] == naive_greedy(small.model, prompt, 12));
    CHECK(result.log_probs.empty());
  }
}

TEST_CASE("the largest max_gen_len means as many tokens as the context holds, without overflow") {
  SmallModel small("llama");
  const std::vector<int64_t> prompt = {4, 9, 1, 22};
  const int64_t context = small.model.config().max_position_embeddings;
  const GenerationResult result = generate(small.model, {prompt}, greedy(INT64_MAX));
  REQUIRE(result.tokens.size() == 1);
  CHECK(int64_t(result.tokens[0].size()) == context - int64_t(prompt.size()));
}

TEST_CASE("each row of a batch of unequal prompts gets the tokens it gets alone") {
  for (const char* type : kModelTypes) {
    INFO(type);
    SmallModel small(type);
    const Rows prompts = {{5, 2}, {7, 13, 29, 3, 11}, {19, 8, 8}};
    const GenerationResult batch = generate(small.model, prompts, greedy(9));
    for (size_t b = 0; b < prompts.size(); ++b) {
      INFO("row " << b);
      const GenerationResult alone = generate(small.model, {prompts[b]}, greedy(9));
      CHECK(batch.tokens[b].size() == 9);
      CHECK(batch.tokens[b] == alone.tokens[0]);
    }
  }
}

TEST_CASE("a row stops before its first stop token, and streaming sees exactly its tokens") {
  SmallModel small("llama");
  const std::vector<int64_t> prompt = {4, 9, 1};
  const std::vector<int64_t> free_run = generate(small.model, {prompt}, greedy(10)).tokens[0];
  // Make the token generated at step 4 the stop token: the output is what preceded its first use.
  const int64_t stop = free_run[4];
  const auto first_use = std::find(free_run.begin(), free_run.end(), stop);
  GenerationOptions options = greedy(10);
  options.stop_tokens = {stop};
  std::vector<int64_t> streamed;
  options.on_token = [&](int64_t row, int64_t token) {
    CHECK(row == 0);
    streamed.push_back(token);
  };
  const GenerationResult result = generate(small.model, {prompt}, options);
  CHECK(result.tokens[0] == std::vector<int64_t>(free_run.begin(), first_use));
  CHECK(streamed == result.tokens[0]);
}

TEST_CASE("streaming reports every row's tokens up to max_gen_len") {
  SmallModel small("gpt2");
  const Rows prompts = {{5, 2}, {7, 13, 29, 3, 11}};
  Rows streamed(2);
  GenerationOptions options = greedy(6);
  options.on_token = [&](int64_t row, int64_t token) { streamed[size_t(row)].push_back(token); };
  const GenerationResult result = generate(small.model, prompts, options);
  CHECK(streamed == result.tokens);
}

TEST_CASE("log-probs equal log_softmax of a full forward pass; echo returns the prompt too") {
  for (const char* type : kModelTypes) {
    INFO(type);
    SmallModel small(type);
    const Rows prompts = {{5, 2, 30}, {7, 13, 29, 3, 11}};
    GenerationOptions options = greedy(6);
    options.logprobs = true;
    options.echo = true;
    const GenerationResult result = generate(small.model, prompts, options);
    for (size_t b = 0; b < prompts.size(); ++b) {
      INFO("row " << b);
      const std::vector<int64_t>& row = result.tokens[b];
      REQUIRE(row.size() == prompts[b].size() + 6);
      CHECK(std::vector<int64_t>(row.begin(), row.begin() + int64_t(prompts[b].size())) == prompts[b]);
      REQUIRE(result.log_probs[b].size() == row.size());
      NoGradGuard no_grad;
      const Tensor log_probs = log_softmax(select(small.model.forward(row_tensor(row)), 0, 0), -1);  // [T, V]
      CHECK(result.log_probs[b][0] == 0.0);  // the first token has no context
      for (size_t t = 1; t < row.size(); ++t) {
        INFO("position " << t);
        const double expected = log_probs.to_vector<double>()[(t - 1) * 31 + size_t(row[t])];
        CHECK(result.log_probs[b][t] == doctest::Approx(expected).epsilon(1e-5));
      }
    }
  }
}

TEST_CASE("without echo the log-probs are those of the generated tokens") {
  SmallModel small("llama");
  GenerationOptions options = greedy(5);
  options.logprobs = true;
  const GenerationResult plain = generate(small.model, {{3, 1, 4}}, options);
  options.echo = true;
  const GenerationResult echoed = generate(small.model, {{3, 1, 4}}, options);
  CHECK(plain.tokens[0] == std::vector<int64_t>(echoed.tokens[0].begin() + 3, echoed.tokens[0].end()));
  CHECK(plain.log_probs[0] == std::vector<double>(echoed.log_probs[0].begin() + 3, echoed.log_probs[0].end()));
  for (double value : plain.log_probs[0]) CHECK(value < 0);
}

TEST_CASE("echo with nothing to generate still scores the prompt") {
  SmallModel small("gpt2");
  GenerationOptions options = greedy(0);
  options.logprobs = true;
  options.echo = true;
  const GenerationResult result = generate(small.model, {{3, 1, 4, 1}}, options);
  CHECK(result.tokens[0] == std::vector<int64_t>{3, 1, 4, 1});
  REQUIRE(result.log_probs[0].size() == 4);
  CHECK(result.log_probs[0][0] == 0.0);
  for (size_t t = 1; t < 4; ++t) CHECK(result.log_probs[0][t] < 0);
}

TEST_CASE("the same seed reproduces a sampled run; another seed gives another") {
  SmallModel small("llama");
  GenerationOptions options;
  options.temperature = 1.5;
  options.top_p = 1.0;
  options.max_gen_len = 20;
  options.seed = 123;
  const auto first = generate(small.model, {{1, 2, 3}}, options).tokens[0];
  const auto again = generate(small.model, {{1, 2, 3}}, options).tokens[0];
  options.seed = 124;
  const auto other = generate(small.model, {{1, 2, 3}}, options).tokens[0];
  CHECK(first.size() == 20);
  CHECK(first == again);
  CHECK(first != other);  // 20 draws at temperature 1.5 from 31 tokens: equal by chance ~never
}

TEST_CASE("generation stops at max_position_embeddings") {
  SmallModel small("gpt2");
  const std::vector<int64_t> prompt(28, 3);
  const GenerationResult result = generate(small.model, {prompt}, greedy(10));
  CHECK(result.tokens[0].size() == 4);  // 32 positions - 28 prompt tokens
}

TEST_CASE("generate restores the model's training mode") {
  SmallModel small("llama");
  small.model.train();
  generate(small.model, {{1, 2}}, greedy(2));
  CHECK(small.model.is_training());
  small.model.eval();
  generate(small.model, {{1, 2}}, greedy(2));
  CHECK_FALSE(small.model.is_training());
}

TEST_CASE("generate rejects empty prompts, prompts past the context and bad options") {
  SmallModel small("llama");
  CHECK(testing::error_of([&] { generate(small.model, {}, greedy(2)); }).find("no prompts") != std::string::npos);
  CHECK(testing::error_of([&] { generate(small.model, {{1}, {}}, greedy(2)); }).find("prompt 1 is empty") !=
        std::string::npos);
  CHECK(testing::error_of([&] { generate(small.model, {std::vector<int64_t>(33, 1)}, greedy(2)); })
            .find("33 tokens") != std::string::npos);
  GenerationOptions options = greedy(2);
  options.top_p = 0;
  CHECK(testing::error_of([&] { generate(small.model, {{1}}, options); }).find("top_p") != std::string::npos);
}

TEST_CASE("ended_by_context: only a row that fills the context before max_gen_len") {
  CHECK(ended_by_context(/*prompt_length=*/10, /*generated=*/54, /*max_gen_len=*/100, /*context=*/64));
  CHECK_FALSE(ended_by_context(10, 20, 100, 64));  // a stop token ended it
  CHECK_FALSE(ended_by_context(10, 54, 54, 64));   // max_gen_len and the context end together
  CHECK_FALSE(ended_by_context(10, 53, 100, 64));  // a stop token at the last position
}

}  // namespace
}  // namespace bytegrad::infer
