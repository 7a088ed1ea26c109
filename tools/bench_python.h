// What the benchmarks share to run their PyTorch side: the Python that has Debian's torch, a
// script under tools/bench/, and shell quoting for the command lines they build.
#pragma once

#include <string>

namespace bytegrad::tools {

// Debian's python3, where python3-torch is installed (a python3 earlier on PATH may lack it).
inline constexpr const char* kTorchPython = "/usr/bin/python3";

// `text` in single quotes for /bin/sh, with embedded quotes escaped.
std::string shell_quote(const std::string& text);

// tools/bench/<name> in the source tree: the binary is built from it, so the path the compiler
// saw stays valid for the build (a relative one is taken from the program's own directory).
std::string bench_script_path(const std::string& name);

// Empty when kTorchPython can run `script` and import `modules` (e.g. "torch, numpy");
// otherwise why not, to print beside the missing columns.
std::string torch_unavailable_reason(const std::string& script, const std::string& modules);

}  // namespace bytegrad::tools
