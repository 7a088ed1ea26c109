#include "tools/cmd_tokenizer_args.h"

#include "tokenizer/load.h"

namespace bytegrad::tools {

tokenizer::Tokenizer load_tokenizer_at(const std::string& path, const std::optional<std::string>& pattern) {
  std::optional<tokenizer::PretokenizerPattern> resolved;
  if (pattern) resolved = tokenizer::pattern_from_name(*pattern);
  return tokenizer::load_tokenizer(path, resolved);
}

tokenizer::Tokenizer load_tokenizer_from_args(const Options& options) {
  return load_tokenizer_at(options.get("--tokenizer"), options.value("--pattern"));
}

}  // namespace bytegrad::tools
