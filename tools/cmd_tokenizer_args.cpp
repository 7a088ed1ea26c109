#include "tools/cmd_tokenizer_args.h"

#include <stdexcept>

#include "tokenizer/load.h"

namespace bytegrad::tools {

TokenizerArgs::TokenizerArgs(const Args& args, const std::set<std::string>& options,
                             const std::set<std::string>& flags) {
  for (std::size_t i = 0; i < args.size(); ++i) {
    const std::string& arg = args[i];
    if (flags.count(arg)) {
      flags_.insert(arg);
    } else if (options.count(arg)) {
      if (i + 1 >= args.size()) throw std::runtime_error("option " + arg + " needs a value");
      values_.emplace(arg, args[++i]);
    } else {
      std::string known;
      for (const std::string& o : options) known += " " + o + " VALUE";
      for (const std::string& f : flags) known += " " + f;
      throw std::runtime_error("unknown argument '" + arg + "' (expected:" + known + ")");
    }
  }
}

std::optional<std::string> TokenizerArgs::value(const std::string& name) const {
  const auto it = values_.find(name);
  if (it == values_.end()) return std::nullopt;
  return it->second;
}

std::string TokenizerArgs::required(const std::string& name) const {
  const std::optional<std::string> v = value(name);
  if (!v) throw std::runtime_error("missing required option " + name);
  return *v;
}

std::vector<std::string> TokenizerArgs::values(const std::string& name) const {
  std::vector<std::string> out;
  const auto [begin, end] = values_.equal_range(name);
  for (auto it = begin; it != end; ++it) out.push_back(it->second);
  return out;
}

tokenizer::Tokenizer load_tokenizer_from_args(const TokenizerArgs& args) {
  std::optional<tokenizer::PretokenizerPattern> pattern;
  if (const auto name = args.value("--pattern")) pattern = tokenizer::pattern_from_name(*name);
  return tokenizer::load_tokenizer(args.required("--tokenizer"), pattern);
}

}  // namespace bytegrad::tools
