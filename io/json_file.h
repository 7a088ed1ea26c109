// JSON files on disk: read with errors that name the file, written atomically.
#pragma once

#include <nlohmann/json.hpp>
#include <string>

namespace bytegrad::io {

// Parses the JSON file at `path`; throws Error naming the path if it cannot be opened or parsed.
nlohmann::json read_json(const std::string& path);

// Writes `value` (indented) to `path` atomically: the old file stays until the new one is whole.
void write_json(const std::string& path, const nlohmann::json& value);

}  // namespace bytegrad::io
