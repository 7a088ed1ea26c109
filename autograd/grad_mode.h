// Whether ops record a graph. Off inside a NoGradGuard (inference) and while backward runs.
#pragma once

namespace bytegrad {

bool grad_enabled();
void set_grad_enabled(bool enabled);

// Disables recording for its lifetime (per thread), restoring the previous mode after.
class NoGradGuard {
 public:
  NoGradGuard() : previous_(grad_enabled()) { set_grad_enabled(false); }
  ~NoGradGuard() { set_grad_enabled(previous_); }
  NoGradGuard(const NoGradGuard&) = delete;
  NoGradGuard& operator=(const NoGradGuard&) = delete;

 private:
  bool previous_;
};

}  // namespace bytegrad
