// Runs one of tests/reference's PyTorch scripts for the infer suite. The scripts need Debian's
// /usr/bin/python3 with torch; without it, tests say so (MESSAGE) and skip.
#pragma once

#include <cstdlib>
#include <fstream>
#include <optional>
#include <stdexcept>
#include <string>

#include <nlohmann/json.hpp>

namespace bytegrad::testing {

inline bool torch_available() {
  static const bool available =
      std::system("/usr/bin/python3 -c \"import torch\" > /dev/null 2>&1") == 0;
  return available;
}

// The JSON that tests/reference/<script> writes, or nothing when torch is absent. Throws when
// the script itself fails (a broken reference is a failure, not a skip).
inline std::optional<nlohmann::json> run_torch_reference(const std::string& script,
                                                         const std::string& output_name) {
  if (!torch_available()) return std::nullopt;
  const std::string output = BYTEGRAD_BINARY_DIR "/" + output_name;
  const std::string command = "/usr/bin/python3 '" BYTEGRAD_SOURCE_DIR "/tests/reference/" +
                              script + "' '" + output + "'";
  if (std::system(command.c_str()) != 0)
    throw std::runtime_error("torch reference script failed: " + command);
  std::ifstream file(output);
  return nlohmann::json::parse(file);
}

}  // namespace bytegrad::testing
