#include "tools/bench_python.h"

#include <unistd.h>

#include <cstdlib>
#include <filesystem>

namespace bytegrad::tools {

std::string shell_quote(const std::string& text) {
  std::string quoted = "'";
  for (char c : text) quoted += c == '\'' ? std::string("'\\''") : std::string(1, c);
  return quoted + "'";
}

std::string bench_script_path(const std::string& name) {
  const std::string source = __FILE__;
  const std::filesystem::path script = source.substr(0, source.rfind('/') + 1) + "bench/" + name;
  // A compiler cache with a base directory makes __FILE__ relative to the build directory, where
  // the program is built: resolved from there, the path holds wherever the program is run from.
  if (script.is_relative()) return (std::filesystem::read_symlink("/proc/self/exe").parent_path() / script).string();
  return script.string();
}

std::string torch_unavailable_reason(const std::string& script, const std::string& modules) {
  if (access(kTorchPython, X_OK) != 0) return std::string(kTorchPython) + " not found";
  if (access(script.c_str(), R_OK) != 0) return script + " not found";
  const std::string probe = std::string(kTorchPython) + " -c 'import " + modules + "' >/dev/null 2>&1";
  if (std::system(probe.c_str()) != 0) return std::string(kTorchPython) + " cannot import " + modules;
  return "";
}

}  // namespace bytegrad::tools
