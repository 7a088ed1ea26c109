#include "infer/step_threads.h"

#include <algorithm>
#include <iterator>

namespace bytegrad::infer {

bool StepThreads::share_next() const {
  if (!helpers_) return false;
  const int64_t block = steps_ / kBlock;
  if (block == 0) return true;
  if (block == 1) return false;
  return probing(block) ? !shared_ahead() : shared_ahead();
}

void StepThreads::record(double seconds) {
  const bool shared = share_next();
  const int64_t block = steps_ / kBlock;
  if (steps_ % kBlock != 0) block_steps_[steps_ % kBlock - 1] = seconds;
  ++steps_;
  if (steps_ % kBlock != 0) return;
  const bool was_ahead = shared_ahead();
  std::sort(std::begin(block_steps_), std::end(block_steps_));
  const double per_step = block_steps_[(kBlock - 1) / 2];
  double& estimate = estimate_[shared];
  estimate = measured_[shared] ? (estimate + per_step) / 2 : per_step;
  measured_[shared] = true;
  if (probing(block)) {
    // The probed choice won when the lead changed hands.
    probe_every_ = shared_ahead() != was_ahead ? kProbeEvery : std::min(2 * probe_every_, kMaxProbeEvery);
    next_probe_ = block + probe_every_;
  }
}

}  // namespace bytegrad::infer
