// Command-line options of the tokenizer subcommands: "--name value" options and "--flag" flags,
// with errors that name the unknown or incomplete option.
#pragma once

#include <map>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "tools/commands.h"
#include "tokenizer/tokenizer.h"

namespace bytegrad::tools {

class TokenizerArgs {
 public:
  // Throws std::runtime_error for an option not in `options`/`flags` or one missing its value.
  TokenizerArgs(const Args& args, const std::set<std::string>& options, const std::set<std::string>& flags);

  bool flag(const std::string& name) const { return flags_.count(name) > 0; }
  std::optional<std::string> value(const std::string& name) const;
  std::string required(const std::string& name) const;  // throws when absent
  std::vector<std::string> values(const std::string& name) const;  // every occurrence, in order

 private:
  std::multimap<std::string, std::string> values_;
  std::set<std::string> flags_;
};

// Loads --tokenizer PATH, with --pattern NAME for tiktoken rank files.
tokenizer::Tokenizer load_tokenizer_from_args(const TokenizerArgs& args);

}  // namespace bytegrad::tools
