#include "infer/step_threads.h"

#include <algorithm>
#include <map>

namespace bytegrad::infer {

bool StepThreads::choose_sharing() const {
  if (block_ == 0) return false;
  if (block_ == 1) return true;
  return probing() ? !shared_ahead() : shared_ahead();
}

void StepThreads::record(double seconds) {
  if (!helpers_) return;
  if (step_in_block_ > 0) block_seconds_ += seconds;
  ++step_in_block_;
  if (trying_sharing() && seconds > kAbandon * estimate_[0]) {
    finish_block(seconds);
    return;
  }
  if (step_in_block_ == kBlock) finish_block(block_seconds_ / double(kBlock - 1));
}

void StepThreads::finish_block(double per_step) {
  const bool was_ahead = shared_ahead();
  // A probe's block replaces its choice's estimate, which is as old as the previous probe.
  double& estimate = estimate_[block_shares_];
  estimate = measured_[block_shares_] && !probing() ? (estimate + per_step) / 2 : per_step;
  measured_[block_shares_] = true;
  if (probing()) {
    // The probed choice won when the lead changed hands.
    probe_every_ = shared_ahead() != was_ahead ? kProbeEvery : std::min(2 * probe_every_, kMaxProbeEvery);
    next_probe_ = block_ + probe_every_;
  } else if (block_ >= 2 && shared_ahead() != was_ahead) {
    // The leader lost the lead in a block of its own: one slow block may have been a passing
    // interruption, so the choice it lost to is checked again after one block, not kProbeEvery.
    probe_every_ = kProbeEvery;
    next_probe_ = block_ + 2;
  }
  ++block_;
  step_in_block_ = 0;
  block_seconds_ = 0;
  block_shares_ = choose_sharing();
}

StepThreads& step_threads_for(const std::string& shape, bool helpers) {
  thread_local std::map<std::string, StepThreads> by_shape;  // per thread: StepThreads is not shared
  return by_shape.try_emplace(shape, helpers).first->second;
}

}  // namespace bytegrad::infer
