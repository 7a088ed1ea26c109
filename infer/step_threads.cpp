#include "infer/step_threads.h"

namespace bytegrad::infer {

bool StepThreads::share_next() const {
  if (!helpers_) return false;
  const int64_t block = steps_ / kBlock;
  if (block == 0) return true;
  if (block == 1) return false;
  // Sharing must win clearly: on a busy machine its times scatter, and a helper descheduled in
  // the middle of a product costs more than serial steps ever lose.
  const bool shared_ahead = estimate_[1] < kMargin * estimate_[0];
  return block % kProbeEvery == kProbeEvery - 1 ? !shared_ahead : shared_ahead;
}

void StepThreads::record(double seconds) {
  const bool shared = share_next();
  if (steps_ % kBlock != 0) block_seconds_ += seconds;
  ++steps_;
  if (steps_ % kBlock != 0) return;
  const double per_step = block_seconds_ / double(kBlock - 1);
  double& estimate = estimate_[shared];
  estimate = measured_[shared] ? (estimate + per_step) / 2 : per_step;
  measured_[shared] = true;
  block_seconds_ = 0;
}

}  // namespace bytegrad::infer
