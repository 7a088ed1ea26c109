// Generated tasks for demonstrating fine-tuning: small problems with one right answer, split
// into training and held-out examples that never share a problem.
//   addition: "12+34=" -> "46" (operands with `digits` digits, no leading zeros)
//   reverse:  "reverse tac:" -> "cat" (lowercase letter strings of 3 to 5 letters)
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "train/sft/data.h"

namespace bytegrad::train {

struct SftTaskSplit {
  std::vector<SftRecord> train, eval;
};

// `eval_count` held-out and `train_count` training problems drawn without repetition from the
// task's problems in an order fixed by `seed`. Throws Error naming the task when it is unknown,
// digits is not 1 or 2 for addition, or the task has fewer than eval_count + train_count problems.
SftTaskSplit make_sft_task(const std::string& task, int64_t train_count, int64_t eval_count, uint64_t seed,
                           int digits = 2);

}  // namespace bytegrad::train
