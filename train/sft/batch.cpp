#include "train/sft/batch.h"

#include <algorithm>

#include "base/error.h"
#include "tensor/creation.h"

namespace bytegrad::train {

SftExample prompt_response_example(const tokenizer::Tokenizer& tokenizer, const std::string& prompt,
                                   const std::string& response, bool append_eos) {
  SftExample example;
  example.ids = tokenizer.encode(prompt, {.add_special_tokens = true});
  BYTEGRAD_CHECK(!example.ids.empty(), "sft: the prompt \"", prompt,
                 "\" encodes to no token, so nothing would predict the response's first token");
  example.trained.assign(example.ids.size(), 0);
  std::vector<tokenizer::TokenId> answer = tokenizer.encode(response, {.add_special_tokens = false});
  if (append_eos) {
    BYTEGRAD_CHECK(tokenizer.eos_id().has_value(), "sft: the tokenizer has no EOS token to end responses with");
    answer.push_back(*tokenizer.eos_id());
  }
  example.ids.insert(example.ids.end(), answer.begin(), answer.end());
  example.trained.resize(example.ids.size(), 1);
  return example;
}

SftBatch collate_sft_examples(std::span<const SftExample> examples, tokenizer::TokenId eos) {
  BYTEGRAD_CHECK(!examples.empty(), "sft: cannot make a batch of no examples");
  size_t longest = 0;
  for (size_t b = 0; b < examples.size(); ++b) {
    BYTEGRAD_CHECK(examples[b].trained.size() == examples[b].ids.size(), "sft: example ", b, " has ",
                   examples[b].ids.size(), " ids but a mask of ", examples[b].trained.size());
    longest = std::max(longest, examples[b].ids.size());
  }
  BYTEGRAD_CHECK(longest >= 2, "sft: every example has fewer than 2 tokens, so there is nothing to predict");

  // Each row is built as seed 003 writes it: the shifted sequence, then its padding.
  const size_t width = longest - 1;
  std::vector<int64_t> input_ids, labels;
  std::vector<float> mask;
  input_ids.reserve(examples.size() * width);
  labels.reserve(examples.size() * width);
  mask.reserve(examples.size() * width);
  int64_t response_tokens = 0;
  for (const SftExample& example : examples) {
    const size_t shifted = example.ids.empty() ? 0 : example.ids.size() - 1;  // len(ids[:-1])
    input_ids.insert(input_ids.end(), example.ids.begin(), example.ids.begin() + shifted);
    if (shifted < width) {
      input_ids.insert(input_ids.end(), width - shifted - 1, 0);
      input_ids.push_back(eos);
    }
    if (!example.ids.empty()) labels.insert(labels.end(), example.ids.begin() + 1, example.ids.end());
    labels.insert(labels.end(), width - shifted, eos);
    for (size_t t = 0; t < width; ++t) {
      const bool trained = t < shifted && example.trained[t + 1];
      mask.push_back(trained ? 1.0f : 0.0f);
      response_tokens += trained;
    }
  }
  const Shape shape{int64_t(examples.size()), int64_t(width)};
  return {from_vector(input_ids, shape), from_vector(labels, shape), from_vector(mask, shape), response_tokens};
}

SftBatch tokenize_prompt_and_output(const std::vector<std::string>& prompts, const std::vector<std::string>& outputs,
                                    const tokenizer::Tokenizer& tokenizer) {
  BYTEGRAD_CHECK(prompts.size() == outputs.size(), "tokenize_prompt_and_output: ", prompts.size(), " prompts but ",
                 outputs.size(), " outputs");
  BYTEGRAD_CHECK(tokenizer.eos_id().has_value(), "tokenize_prompt_and_output: the tokenizer has no EOS token to pad with");
  std::vector<SftExample> examples;
  examples.reserve(prompts.size());
  for (size_t i = 0; i < prompts.size(); ++i)
    examples.push_back(prompt_response_example(tokenizer, prompts[i], outputs[i], /*append_eos=*/false));
  return collate_sft_examples(examples, *tokenizer.eos_id());
}

}  // namespace bytegrad::train
