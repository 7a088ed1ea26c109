#include "tokenizer/byte_level_vocab.h"

#include <stdexcept>

#include "tokenizer/byte_level.h"

namespace bytegrad::tokenizer {

ByteLevelBpe::Vocabulary byte_level_vocabulary(const nlohmann::json& spelling_to_id,
                                               const std::string& source) {
  if (!spelling_to_id.is_object())
    throw std::runtime_error(source + ": vocabulary is not a JSON object of token -> id");
  ByteLevelBpe::Vocabulary bytes_by_id;
  for (const auto& [spelling, id_json] : spelling_to_id.items()) {
    if (!id_json.is_number_integer() || id_json.get<long long>() < 0 || id_json.get<long long>() >= (1 << 24))
      throw std::runtime_error(source + ": vocabulary entry '" + spelling + "' has id " + id_json.dump() +
                               " (expected a non-negative integer)");
    const std::size_t id = id_json.get<std::size_t>();
    const std::optional<std::string> bytes = byte_level_to_bytes(spelling);
    if (!bytes || bytes->empty())
      throw std::runtime_error(source + ": vocabulary entry '" + spelling +
                               "' is not spelled in the byte-level alphabet");
    if (id >= bytes_by_id.size()) bytes_by_id.resize(id + 1);
    if (!bytes_by_id[id].empty())
      throw std::runtime_error(source + ": id " + std::to_string(id) + " is given to two vocabulary entries");
    bytes_by_id[id] = *bytes;
  }
  return bytes_by_id;
}

std::pair<std::string, std::string> parse_merge(std::string_view left, std::string_view right,
                                                const std::string& where) {
  const auto bytes = [&](std::string_view spelled) {
    const std::optional<std::string> b = byte_level_to_bytes(spelled);
    if (!b || b->empty())
      throw std::runtime_error(where + ": merge side '" + std::string(spelled) +
                               "' is not spelled in the byte-level alphabet");
    return *b;
  };
  return {bytes(left), bytes(right)};
}

std::pair<std::string, std::string> parse_merge_line(std::string_view line, const std::string& where) {
  const std::size_t space = line.find(' ');
  if (space == std::string_view::npos || space == 0 || space + 1 >= line.size() ||
      line.find(' ', space + 1) != std::string_view::npos)
    throw std::runtime_error(where + ": merge '" + std::string(line) + "' is not two tokens separated by one space");
  return parse_merge(line.substr(0, space), line.substr(space + 1), where);
}

}  // namespace bytegrad::tokenizer
