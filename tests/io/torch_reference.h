// The io suite's PyTorch side: Debian's /usr/bin/python3 running a script of tests/reference.
// Without torch there, a test says so at run time (MESSAGE, with how to install it) and skips.
#pragma once

#include <doctest/doctest.h>

#include <cstdlib>
#include <string>

namespace bytegrad::testing {

inline constexpr const char* kPython = "/usr/bin/python3";

// True (after printing why) when /usr/bin/python3 cannot import torch; `what` names the test.
inline bool skip_without_torch(const char* what) {
  static const bool available =
      std::system((std::string(kPython) + " -c \"import torch\" > /dev/null 2>&1").c_str()) == 0;
  if (available) return false;
  MESSAGE("skipping " << what << ": " << kPython << " cannot import torch (install Debian's python3-torch)");
  return true;
}

// Runs tests/reference/<script> with `arguments`; a failing script fails the test.
inline void run_reference_script(const std::string& script, const std::string& arguments) {
  const std::string command =
      std::string(kPython) + " '" BYTEGRAD_SOURCE_DIR "/tests/reference/" + script + "' " + arguments;
  REQUIRE_MESSAGE(std::system(command.c_str()) == 0, "reference script failed: " << command);
}

}  // namespace bytegrad::testing
