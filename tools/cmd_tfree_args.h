// The T-Free hash config of the `bytegrad tfree` and `bytegrad bench tfree` commands, read from
// --vocab-size, --population and --lowercase-overlap.
#pragma once

#include <string>

#include "tokenizer/trigram_hasher.h"
#include "tools/options.h"

namespace bytegrad::tools {

// The config the three options give; throws UsageError when it is invalid.
tokenizer::TrigramHashConfig tfree_hash_config(const CommandSpec& spec, const Options& options);

}  // namespace bytegrad::tools
