#include "tools/wait_policy.h"

#include <unistd.h>

#include <cstdlib>

namespace bytegrad::tools {

bool prefers_passive_wait_policy(std::string_view command) { return command == "generate" || command == "chat"; }

void restart_with_preferred_wait_policy(std::string_view command, char** argv) {
  if (!prefers_passive_wait_policy(command) || std::getenv("OMP_WAIT_POLICY")) return;
  setenv("OMP_WAIT_POLICY", "passive", 1);
  execv("/proc/self/exe", argv);
  // Only reached when execv failed; the variable set above then does no harm.
}

}  // namespace bytegrad::tools
