// Exact-match accuracy of a model's greedy answers to held-out questions, the measure of whether
// fine-tuning taught a task.
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <vector>

#include "nn/causal_lm.h"
#include "tokenizer/tokenizer.h"
#include "train/sft/data.h"

namespace bytegrad::train {

struct SftAnswer {
  std::string expected, predicted;
  bool correct = false;
};

struct SftAccuracy {
  int64_t correct = 0;
  std::vector<SftAnswer> answers;  // one per question, in order
  double accuracy() const { return answers.empty() ? 0.0 : double(correct) / double(answers.size()); }
};

// The model's greedy answer: up to `max_new_tokens` tokens decoded at temperature 0
// (infer::generate at temperature 0), cut before the first special token (EOS, or a chat's end-of-turn
// marker), as text.
std::string greedy_answer(nn::CausalLM& model, const tokenizer::Tokenizer& tokenizer, const SftQuestion& question,
                          int64_t max_new_tokens);

// greedy_answer for each question, correct when it equals the expected text exactly.
SftAccuracy exact_match_accuracy(nn::CausalLM& model, const tokenizer::Tokenizer& tokenizer,
                                 std::span<const SftQuestion> questions, int64_t max_new_tokens);

}  // namespace bytegrad::train
