#include "autograd/grad_mode.h"

namespace bytegrad {
namespace {
thread_local bool recording_enabled = true;
}

bool grad_enabled() { return recording_enabled; }
void set_grad_enabled(bool enabled) { recording_enabled = enabled; }

}  // namespace bytegrad
