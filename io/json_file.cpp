#include "io/json_file.h"

#include <fstream>

#include "base/error.h"
#include "io/atomic_file.h"

namespace bytegrad::io {

nlohmann::json read_json(const std::string& path) {
  std::ifstream in(path);
  BYTEGRAD_CHECK(in.good(), path, ": cannot open");
  try {
    return nlohmann::json::parse(in);
  } catch (const nlohmann::json::exception& e) {
    throw Error(concat(path, ": not valid JSON: ", e.what()));
  }
}

std::string string_field_or(const nlohmann::json& object, const char* key, const std::string& fallback) {
  if (!object.is_object()) return fallback;
  const auto it = object.find(key);
  return it != object.end() && it->is_string() ? it->get<std::string>() : fallback;
}

void write_json(const std::string& path, const nlohmann::json& value) {
  const std::string text = value.dump(2) + "\n";
  write_file_atomically(path, text.data(), text.size());
}

}  // namespace bytegrad::io
