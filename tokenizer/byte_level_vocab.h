// Reading vocabularies and merges spelled in GPT-2's byte-level alphabet (encoder.json,
// vocab.bpe, tokenizer.json) into raw bytes.
#pragma once

#include <string>
#include <string_view>
#include <utility>

#include <nlohmann/json.hpp>

#include "tokenizer/byte_level_bpe.h"

namespace bytegrad::tokenizer {

// The vocabulary of a {"spelling": id, ...} object, indexed by id; an entry not spelled in the
// byte-level alphabet is an error naming it.
ByteLevelBpe::Vocabulary byte_level_vocabulary(const nlohmann::json& spelling_to_id,
                                               const std::string& source);

// One merge written "left right" (vocab.bpe, tokenizer.json) or as a two-string array
// (newer tokenizer.json), as raw bytes. `where` locates it in errors.
std::pair<std::string, std::string> parse_merge(std::string_view left, std::string_view right,
                                                const std::string& where);
std::pair<std::string, std::string> parse_merge_line(std::string_view line, const std::string& where);

}  // namespace bytegrad::tokenizer
