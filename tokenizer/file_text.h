// Reading a whole file, with an error that names it.
#pragma once

#include <filesystem>
#include <string>

namespace bytegrad::tokenizer {

// The bytes of `path`; throws std::runtime_error naming the path when it cannot be read.
std::string read_file_bytes(const std::filesystem::path& path);

}  // namespace bytegrad::tokenizer
