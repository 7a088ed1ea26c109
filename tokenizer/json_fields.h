// Reading fields of tokenizer.json files, with errors that name the file and the field.
#pragma once

#include <cstdint>
#include <limits>
#include <stdexcept>
#include <string>

#include <nlohmann/json.hpp>

#include "tokenizer/token_id.h"

namespace bytegrad::tokenizer {

// The file being read, for error messages: "<source>: <field>: <what>".
struct JsonContext {
  std::string source;

  [[noreturn]] void fail(const std::string& field, const std::string& what) const {
    throw std::runtime_error(source + ": " + field + ": " + what);
  }
};

// Real tokenizer files nest a few levels deep; a limit far above that keeps the recursive parts
// of reading (copies of sub-trees, nested post-processor sequences) off the end of the stack.
inline constexpr int kMaxJsonDepth = 256;

// Parses `text` (the file ctx names; `field` says which part for errors, e.g. "JSON"), failing
// on invalid JSON and on nesting deeper than kMaxJsonDepth. nlohmann's parser itself does not
// recurse, so the depth is checked as the document is read.
inline nlohmann::json parse_bounded_json(const std::string& text, const JsonContext& ctx, const std::string& field = "JSON") {
  const nlohmann::json::parser_callback_t limit_depth = [&](int depth, nlohmann::json::parse_event_t, nlohmann::json&) {
    if (depth > kMaxJsonDepth) ctx.fail(field, "nested deeper than " + std::to_string(kMaxJsonDepth) + " levels");
    return true;
  };
  try {
    return nlohmann::json::parse(text, limit_depth);
  } catch (const nlohmann::json::exception& e) {
    ctx.fail(field, e.what());
  }
}

// nlohmann's exception text, "[json.exception.type_error.302] (/model/merges/5) type must be
// string, but is number", as the field it names in our notation ("model.merges[5]"; empty when
// the text names none) and what was wrong ("type must be string, but is number"). The field is
// there because the build defines JSON_DIAGNOSTICS (CMakeLists.txt), which makes every value
// know its parent; it is the path within the tree the failing value was read from.
struct JsonErrorParts {
  std::string field, what;
};
JsonErrorParts describe_json_error(const nlohmann::json::exception& error);

// Rethrows a type or range error met while reading the file `ctx` names, naming its field
// (`fallback` when nlohmann's text names none).
[[noreturn]] inline void fail_with_json_error(const JsonContext& ctx, const nlohmann::json::exception& error,
                                              const std::string& fallback) {
  const JsonErrorParts parts = describe_json_error(error);
  ctx.fail(parts.field.empty() ? fallback : parts.field, parts.what);
}

// `value` as a token id: an integer from 0 to INT32_MAX. Anything else (a float, which get<int>
// would convert with undefined behaviour when out of range; 2^32 + 5, which would wrap to 5)
// fails naming `field`.
inline TokenId json_token_id(const nlohmann::json& value, const JsonContext& ctx, const std::string& field) {
  constexpr std::int64_t kMaxId = std::numeric_limits<TokenId>::max();
  const bool fits = value.is_number_unsigned() ? value.get<std::uint64_t>() <= std::uint64_t(kMaxId)
                                               : value.is_number_integer() && value.get<std::int64_t>() >= 0 &&
                                                     value.get<std::int64_t>() <= kMaxId;
  if (!fits) ctx.fail(field, "expected a token id (an integer from 0 to " + std::to_string(kMaxId) + "), got " + value.dump());
  return TokenId(value.get<std::int64_t>());
}

// object[key] as a bool; `fallback` when it is absent or null.
inline bool json_flag(const nlohmann::json& object, const char* key, bool fallback) {
  const auto it = object.find(key);
  return it == object.end() || it->is_null() ? fallback : it->get<bool>();
}

}  // namespace bytegrad::tokenizer
