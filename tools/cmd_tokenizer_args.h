// Loading the tokenizer that the tokenizer subcommands name with --tokenizer PATH and, for
// tiktoken rank files, --pattern NAME.
#pragma once

#include <optional>
#include <string>

#include "tokenizer/tokenizer.h"
#include "tools/options.h"

namespace bytegrad::tools {

// The tokenizer at `path`; `pattern` names the pre-tokenizer pattern of a tiktoken rank file.
tokenizer::Tokenizer load_tokenizer_at(const std::string& path, const std::optional<std::string>& pattern);

// load_tokenizer_at(--tokenizer, --pattern) of a command that declares both.
tokenizer::Tokenizer load_tokenizer_from_args(const Options& options);

}  // namespace bytegrad::tools
