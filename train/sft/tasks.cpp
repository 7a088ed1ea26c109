#include "train/sft/tasks.h"

#include <algorithm>
#include <random>
#include <set>

#include "base/error.h"

namespace bytegrad::train {
namespace {

// Every addition problem with operands of `digits` digits, in a seeded random order.
std::vector<SftRecord> addition_problems(int digits, std::mt19937_64& rng) {
  const int low = digits == 1 ? 0 : 10, high = digits == 1 ? 9 : 99;
  std::vector<SftRecord> problems;
  for (int a = low; a <= high; ++a)
    for (int b = low; b <= high; ++b)
      problems.push_back({std::to_string(a) + "+" + std::to_string(b) + "=", std::to_string(a + b), {}, "addition"});
  std::shuffle(problems.begin(), problems.end(), rng);
  return problems;
}

// `count` distinct lowercase words of 3 to 5 letters, each asked reversed.
std::vector<SftRecord> reverse_problems(int64_t count, std::mt19937_64& rng) {
  std::uniform_int_distribution<int> length(3, 5), letter('a', 'z');
  std::set<std::string> seen;
  std::vector<SftRecord> problems;
  while (int64_t(problems.size()) < count) {
    std::string word(size_t(length(rng)), ' ');
    for (char& c : word) c = char(letter(rng));
    if (!seen.insert(word).second) continue;
    problems.push_back({word + "->", std::string(word.rbegin(), word.rend()), {}, "reverse"});
  }
  return problems;
}

}  // namespace

SftTaskSplit make_sft_task(const std::string& task, int64_t train_count, int64_t eval_count, uint64_t seed, int digits) {
  BYTEGRAD_CHECK(train_count >= 0 && eval_count >= 0, "sft task: counts must not be negative");
  std::mt19937_64 rng(seed);
  std::vector<SftRecord> problems;
  if (task == "addition") {
    BYTEGRAD_CHECK(digits == 1 || digits == 2, "sft task addition: digits must be 1 or 2, got ", digits);
    problems = addition_problems(digits, rng);
  } else if (task == "reverse") {
    problems = reverse_problems(train_count + eval_count, rng);
  } else {
    throw Error("sft task: unknown task '" + task + "' (expected addition or reverse)");
  }
  BYTEGRAD_CHECK(int64_t(problems.size()) >= train_count + eval_count, "sft task ", task, ": only ", problems.size(),
                 " distinct problems, fewer than ", eval_count, " held out + ", train_count, " for training");
  SftTaskSplit split;
  split.eval.assign(problems.begin(), problems.begin() + eval_count);
  split.train.assign(problems.begin() + eval_count, problems.begin() + eval_count + train_count);
  return split;
}

}  // namespace bytegrad::train
