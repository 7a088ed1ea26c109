// libFuzzer's entry points for fuzz_loaders: the target is chosen once, at start-up, from the
// environment variable BYTEGRAD_FUZZ_TARGET; a finding aborts so that libFuzzer saves the input.
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>

#include "fuzz_target.h"

namespace {

bytegrad::fuzz::TargetBody selected = nullptr;

}  // namespace

extern "C" int LLVMFuzzerInitialize(int*, char***) {
  const char* name = std::getenv("BYTEGRAD_FUZZ_TARGET");
  for (const auto& target : bytegrad::fuzz::registered_targets())
    if (name && std::strcmp(name, target.name) == 0) selected = target.body;
  if (!selected) {
    std::fprintf(stderr, "fuzz_loaders: set BYTEGRAD_FUZZ_TARGET to one of:");
    for (const auto& target : bytegrad::fuzz::registered_targets()) std::fprintf(stderr, " %s", target.name);
    std::fprintf(stderr, "\n");
    std::exit(2);
  }
  return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string finding = bytegrad::fuzz::run_target(selected, {reinterpret_cast<const char*>(data), size});
  if (!finding.empty()) {
    std::fprintf(stderr, "fuzz finding: %s\n", finding.c_str());
    std::abort();
  }
  return 0;
}
