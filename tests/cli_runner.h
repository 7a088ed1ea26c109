// Running the built `bytegrad` program from a test: stdin from a string, stdout and stderr
// captured through files in a scratch folder of the build tree, the exit status decoded.
#pragma once

#include <sys/wait.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>

namespace bytegrad::testing {

struct CommandResult {
  int status = -1;   // the exit status, or -1 when the program did not exit normally
  std::string out;   // stdout
  std::string err;   // stderr
};

// An empty folder build/<suite>/<name>, made afresh.
inline std::filesystem::path cli_scratch(const std::string& suite, const std::string& name) {
  const std::filesystem::path path = std::filesystem::path(BYTEGRAD_BINARY_DIR) / suite / name;
  std::filesystem::remove_all(path);
  std::filesystem::create_directories(path);
  return path;
}

inline std::string read_whole_file(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

// Runs `bytegrad ARGUMENTS` (a shell-quoted command line) with `input` on stdin; `suite` names
// the scratch folder its streams pass through. `environment` is put before the program, as
// "NAME=value" assignments or an `env` command ("env -u NAME").
inline CommandResult run_bytegrad(const std::string& arguments, const std::string& input = "",
                                  const std::string& suite = "cli_tests", const std::string& environment = "") {
  const std::filesystem::path dir = cli_scratch(suite, "command");
  std::ofstream(dir / "stdin", std::ios::binary) << input;
  const std::string command = environment + std::string(" '" BYTEGRAD_BINARY_DIR "/bytegrad' ") + arguments + " < '" +
                              (dir / "stdin").string() + "' > '" + (dir / "stdout").string() + "' 2> '" +
                              (dir / "stderr").string() + "'";
  const int raw = std::system(command.c_str());
  return {WIFEXITED(raw) ? WEXITSTATUS(raw) : -1, read_whole_file(dir / "stdout"), read_whole_file(dir / "stderr")};
}

}  // namespace bytegrad::testing
