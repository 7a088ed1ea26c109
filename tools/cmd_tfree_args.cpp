#include "tools/cmd_tfree_args.h"

#include <stdexcept>

namespace bytegrad::tools {

long long integer_option(const CommandSpec& spec, const Options& options, const std::string& name) {
  const std::string text = options.get(name);
  std::size_t used = 0;
  long long value = 0;
  try {
    value = std::stoll(text, &used);
  } catch (const std::exception&) {
    used = 0;
  }
  if (used == 0 || used != text.size())
    throw UsageError("bytegrad " + spec.name + ": " + name + " '" + text + "' is not a whole number");
  return value;
}

tokenizer::TrigramHashConfig tfree_hash_config(const CommandSpec& spec, const Options& options) {
  tokenizer::TrigramHashConfig config;
  config.vocab_size = integer_option(spec, options, "--vocab-size");
  config.population = int(integer_option(spec, options, "--population"));
  config.lowercase_overlap = int(integer_option(spec, options, "--lowercase-overlap"));
  try {
    config.validate();
  } catch (const std::invalid_argument& e) {
    throw UsageError("bytegrad " + spec.name + ": " + e.what());
  }
  return config;
}

}  // namespace bytegrad::tools
