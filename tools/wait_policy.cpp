#include "tools/wait_policy.h"

#include <unistd.h>

#include <cstdlib>

namespace bytegrad::tools {
namespace {

// Set in the restarted process: its OMP_WAIT_POLICY is its own choice, not the caller's.
constexpr const char* kChosenHere = "BYTEGRAD_WAIT_POLICY_CHOSEN";

}  // namespace

bool prefers_passive_wait_policy(std::string_view command, std::string_view first_argument) {
  return command == "generate" || command == "chat" || (command == "bench" && first_argument == "generate");
}

void restart_with_preferred_wait_policy(int argc, char** argv) {
  if (argc < 2 || !prefers_passive_wait_policy(argv[1], argc > 2 ? argv[2] : "") || std::getenv("OMP_WAIT_POLICY"))
    return;
  setenv("OMP_WAIT_POLICY", "passive", 1);
  setenv(kChosenHere, "1", 1);
  execv("/proc/self/exe", argv);
  // Only reached when execv failed; the variables set above then do no harm.
  unsetenv(kChosenHere);
}

std::string caller_wait_policy_prefix() { return std::getenv(kChosenHere) ? "env -u OMP_WAIT_POLICY " : ""; }

}  // namespace bytegrad::tools
