// JSON files on disk: read with errors that name the file, written atomically.
#pragma once

#include <nlohmann/json.hpp>
#include <string>

namespace bytegrad::io {

// Parses the JSON file at `path`; throws Error naming the path if it cannot be opened or parsed.
nlohmann::json read_json(const std::string& path);

// object[key] when the object has it as a string, else `fallback` (a missing key, another type,
// or `object` not an object). For checks such as "type must be \"text\"", where a value of
// another type is simply a mismatch; nlohmann's value() would throw its own type error there.
std::string string_field_or(const nlohmann::json& object, const char* key, const std::string& fallback = "");

// Writes `value` (indented) to `path` atomically: the old file stays until the new one is whole.
void write_json(const std::string& path, const nlohmann::json& value);

}  // namespace bytegrad::io
