#include "tools/bench_python.h"

#include <unistd.h>

#include <array>
#include <cstdlib>

namespace bytegrad::tools {

std::string shell_quote(const std::string& text) {
  std::string quoted = "'";
  for (char c : text) quoted += c == '\'' ? std::string("'\\''") : std::string(1, c);
  return quoted + "'";
}

std::string bench_script_path(const std::string& name) {
  const std::string source = __FILE__;
  std::string path = source.substr(0, source.rfind('/') + 1) + "bench/" + name;
  if (path.front() == '/') return path;
  // A compiler cache that shares objects between checkouts writes __FILE__ relative to the
  // directory the compiler ran in, the build directory, where the binary is too: resolve it
  // from there, so that the benchmark finds its script from any working directory.
  std::array<char, 4096> exe{};
  const ssize_t n = readlink("/proc/self/exe", exe.data(), exe.size() - 1);
  if (n <= 0) return path;
  const std::string binary(exe.data(), size_t(n));
  return binary.substr(0, binary.rfind('/') + 1) + path;
}

std::string torch_unavailable_reason(const std::string& script, const std::string& modules) {
  if (access(kTorchPython, X_OK) != 0) return std::string(kTorchPython) + " not found";
  if (access(script.c_str(), R_OK) != 0) return script + " not found";
  const std::string probe = std::string(kTorchPython) + " -c 'import " + modules + "' >/dev/null 2>&1";
  if (std::system(probe.c_str()) != 0) return std::string(kTorchPython) + " cannot import " + modules;
  return "";
}

}  // namespace bytegrad::tools
