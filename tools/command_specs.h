// The command-line reference of `bytegrad`: one CommandSpec per subcommand (and per nested
// benchmark), in the order `bytegrad --help` lists them.
#pragma once

#include <string_view>
#include <vector>

#include "tools/options.h"

namespace bytegrad::tools {

// Every subcommand's spec; nested ones are named "bench train" and "bench generate".
const std::vector<CommandSpec>& command_specs();

// The spec named `name`; throws std::logic_error when there is none.
const CommandSpec& command_spec(std::string_view name);

}  // namespace bytegrad::tools
