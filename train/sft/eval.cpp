#include "train/sft/eval.h"

#include <algorithm>

#include "base/error.h"
#include "infer/generate.h"

namespace bytegrad::train {

std::string greedy_answer(nn::CausalLM& model, const tokenizer::Tokenizer& tokenizer, const SftQuestion& question,
                          int64_t max_new_tokens) {
  BYTEGRAD_CHECK(!question.prompt_ids.empty(), question.source, ": the question has no prompt tokens");
  const std::vector<int64_t> prompt(question.prompt_ids.begin(), question.prompt_ids.end());
  infer::GenerationOptions greedy;
  greedy.temperature = 0;
  greedy.max_gen_len = max_new_tokens;
  const std::vector<int64_t> generated = infer::generate(model, {prompt}, greedy).tokens.front();
  std::vector<tokenizer::TokenId> answer;
  for (int64_t id : generated) {
    if (tokenizer.is_special(tokenizer::TokenId(id))) break;
    answer.push_back(tokenizer::TokenId(id));
  }
  return tokenizer.decode(answer);
}

SftAccuracy exact_match_accuracy(nn::CausalLM& model, const tokenizer::Tokenizer& tokenizer,
                                 std::span<const SftQuestion> questions, int64_t max_new_tokens) {
  SftAccuracy result;
  for (const SftQuestion& question : questions) {
    SftAnswer answer{question.expected, greedy_answer(model, tokenizer, question, max_new_tokens)};
    answer.correct = answer.predicted == answer.expected;
    result.correct += answer.correct;
    result.answers.push_back(std::move(answer));
  }
  return result;
}

}  // namespace bytegrad::train
