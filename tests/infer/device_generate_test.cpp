// Generation on a device other than the CPU: the same model gives the CPU's greedy tokens and
// log-probabilities, for Llama and GPT-2, one prompt and a batch of unequal ones.
#include <doctest/doctest.h>

#include <cmath>
#include <vector>

#include "bytegrad.h"
#include "infer/generate.h"
#include "tests/devices.h"
#include "tests/infer/small_models.h"

namespace bytegrad::infer {
namespace {

using testing::SmallModel;
using Rows = std::vector<std::vector<int64_t>>;

TEST_CASE("greedy generation on each device gives the CPU's tokens and log-probs") {
  GenerationOptions options;
  options.temperature = 0;
  options.max_gen_len = 12;
  options.logprobs = true;
  const Rows prompts = {{3, 9, 4, 1}, {7, 2}};
  for (const char* type : {"llama", "gpt2"}) {
    INFO(type);
    SmallModel reference(type);
    const GenerationResult expected = generate(reference.model, prompts, options);
    testing::for_each_device([&](Device device) {
      SmallModel moved(type);
      moved.model.to(device);
      const GenerationResult got = generate(moved.model, prompts, options);
      CHECK(got.tokens == expected.tokens);
      REQUIRE(got.log_probs.size() == expected.log_probs.size());
      for (size_t b = 0; b < got.log_probs.size(); ++b) {
        REQUIRE(got.log_probs[b].size() == expected.log_probs[b].size());
        for (size_t i = 0; i < got.log_probs[b].size(); ++i)
          CHECK(got.log_probs[b][i] == doctest::Approx(expected.log_probs[b][i]).epsilon(1e-4));
      }
    });
  }
}

}  // namespace
}  // namespace bytegrad::infer
