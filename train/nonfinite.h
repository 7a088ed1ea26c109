// What a training loop does with a step whose loss or global gradient norm is not finite (NaN
// or infinite, e.g. a learning rate that makes the run diverge). Either way the step's update is
// never applied, so the weights and optimizer moments stay as they were; the policy says
// whether the run then stops or goes on to the next batch.
//   "stop" (default): throw NonFiniteStepError naming the step and the values.
//   "skip": count the step as taken (the schedule and data move on) and continue, as
//           mixed-precision loss scaling skips overflowing steps.
#pragma once

#include <cstdint>
#include <string>

#include "base/error.h"

namespace bytegrad::train {

enum class NonFinitePolicy { Stop, Skip };

// "stop" | "skip"; throws Error naming `source` and the key for anything else.
NonFinitePolicy parse_nonfinite_policy(const std::string& value, const std::string& source);

// Thrown by a training step under NonFinitePolicy::Stop before anything is updated. The
// command that runs the loop adds where the last good checkpoint is.
class NonFiniteStepError : public Error {
 public:
  NonFiniteStepError(int64_t step, double loss, double grad_norm);
  int64_t step;  // 1-based: the step that was not taken
  double loss;
  double grad_norm;
};

}  // namespace bytegrad::train
