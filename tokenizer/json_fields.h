// Reading fields of tokenizer.json files, with errors that name the file and the field.
#pragma once

#include <stdexcept>
#include <string>

#include <nlohmann/json.hpp>

namespace bytegrad::tokenizer {

// The file being read, for error messages: "<source>: <field>: <what>".
struct JsonContext {
  std::string source;

  [[noreturn]] void fail(const std::string& field, const std::string& what) const {
    throw std::runtime_error(source + ": " + field + ": " + what);
  }
};

// object[key] as a bool; `fallback` when it is absent or null.
inline bool json_flag(const nlohmann::json& object, const char* key, bool fallback) {
  const auto it = object.find(key);
  return it == object.end() || it->is_null() ? fallback : it->get<bool>();
}

}  // namespace bytegrad::tokenizer
