#include "train/nonfinite.h"

namespace bytegrad::train {

NonFinitePolicy parse_nonfinite_policy(const std::string& value, const std::string& source) {
  if (value == "stop") return NonFinitePolicy::Stop;
  if (value == "skip") return NonFinitePolicy::Skip;
  throw Error(concat(source, ": \"training.on_nonfinite\" must be \"stop\" or \"skip\", got \"", value, "\""));
}

NonFiniteStepError::NonFiniteStepError(int64_t step, double loss, double grad_norm)
    : Error(concat("training stopped at step ", step, ": loss ", loss, ", gradient norm ", grad_norm,
                   " (not finite); the step's update was not applied (training.on_nonfinite \"skip\" skips such steps)")),
      step(step), loss(loss), grad_norm(grad_norm) {}

}  // namespace bytegrad::train
