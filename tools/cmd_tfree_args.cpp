#include "tools/cmd_tfree_args.h"

#include <stdexcept>

namespace bytegrad::tools {

tokenizer::TrigramHashConfig tfree_hash_config(const CommandSpec& spec, const Options& options) {
  tokenizer::TrigramHashConfig config;
  config.vocab_size = options.number<long long>("--vocab-size");
  config.population = int(options.number<long long>("--population"));
  config.lowercase_overlap = int(options.number<long long>("--lowercase-overlap"));
  try {
    config.validate();
  } catch (const std::invalid_argument& e) {
    throw UsageError("bytegrad " + spec.name + ": " + e.what());
  }
  return config;
}

}  // namespace bytegrad::tools
