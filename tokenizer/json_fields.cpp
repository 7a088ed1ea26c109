#include "tokenizer/json_fields.h"

#include <algorithm>
#include <cctype>

namespace bytegrad::tokenizer {

namespace {

// "/model/merges/5" -> "model.merges[5]"; "~1" and "~0" are JSON Pointer's escapes of '/' and '~'.
std::string pointer_as_field(const std::string& pointer) {
  std::string field;
  std::size_t pos = 0;
  while (pos < pointer.size() && pointer[pos] == '/') {
    const std::size_t end = pointer.find('/', pos + 1);
    const std::size_t stop = end == std::string::npos ? pointer.size() : end;
    std::string token;
    for (std::size_t i = pos + 1; i < stop; ++i) {
      if (pointer[i] == '~' && i + 1 < stop && (pointer[i + 1] == '0' || pointer[i + 1] == '1')) {
        token += pointer[i + 1] == '1' ? '/' : '~';
        ++i;
      } else {
        token += pointer[i];
      }
    }
    const bool index = !token.empty() && std::all_of(token.begin(), token.end(), [](unsigned char c) { return std::isdigit(c); });
    if (index) field += "[" + token + "]";
    else field += (field.empty() ? "" : ".") + token;
    pos = end == std::string::npos ? pointer.size() : end;
  }
  return field;
}

}  // namespace

JsonErrorParts describe_json_error(const nlohmann::json::exception& error) {
  std::string text = error.what();
  // Drop the "[json.exception.<kind>.<number>] " prefix.
  if (text.starts_with("[json.exception.")) {
    const std::size_t close = text.find("] ");
    if (close != std::string::npos) text.erase(0, close + 2);
  }
  JsonErrorParts parts;
  if (text.starts_with("(")) {
    const std::size_t close = text.find(") ");
    if (close != std::string::npos) {
      parts.field = pointer_as_field(text.substr(1, close - 1));
      text.erase(0, close + 2);
    }
  }
  parts.what = text;
  return parts;
}

}  // namespace bytegrad::tokenizer
