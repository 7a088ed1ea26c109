#include "train/run_checks.h"

#include <unistd.h>

#include <cstdio>

#include "base/error.h"
#include "train/data/corpus_tokens.h"
#include "train/run_export.h"

namespace bytegrad::train {
namespace {

std::string gigabytes(double bytes) {
  char text[64];
  std::snprintf(text, sizeof text, "%.3g GB", bytes / 1e9);
  return text;
}

}  // namespace

uint64_t physical_memory_bytes() {
  const long pages = sysconf(_SC_PHYS_PAGES), page_size = sysconf(_SC_PAGE_SIZE);
  return pages > 0 && page_size > 0 ? uint64_t(pages) * uint64_t(page_size) : UINT64_MAX;
}

int64_t planned_vocab_size(const RunConfig& config) {
  if (config.model.contains("vocab_size")) return 0;  // the model section's own
  if (config.data.bpe_vocab_size > 0) return config.data.bpe_vocab_size;
  const std::filesystem::path tokenizer_path = shard_tokenizer_path(config.data);
  if (tokenizer_path.empty() || !std::filesystem::exists(tokenizer_path)) return 1;
  return int64_t(load_training_tokenizer(tokenizer_path).first.vocab_size());
}

void check_run_before_data(const RunConfig& config, const std::string& source, uint64_t memory_bytes) {
  const nn::ModelConfig model = run_model_config(config.model, planned_vocab_size(config), source + ": model");
  const int64_t parameters = model.parameter_estimate(source + ": model");
  const double bytes = double(parameters) * double(kTrainingBytesPerParameter);
  BYTEGRAD_CHECK(bytes <= double(memory_bytes), source, ": the model would have ", double(parameters),
                 " parameters, and training them needs ", bytes, " bytes (", gigabytes(bytes), ": weights, gradients ",
                 "and AdamW moments in float32), more than this machine's ", gigabytes(double(memory_bytes)),
                 " of memory");
}

void check_same_tokenizer(const tokenizer::Tokenizer& data, const tokenizer::Tokenizer& model, const std::string& source) {
  BYTEGRAD_CHECK(data.vocab_size() == model.vocab_size(), source, ": the data's tokenizer has ", data.vocab_size(),
                 " tokens but init_from's model was trained with a tokenizer of ", model.vocab_size(),
                 "; leave data.bpe_vocab_size and data.tokenizer out to use the model's own");
  for (size_t id = 0; id < data.vocab_size(); ++id) {
    const auto token = tokenizer::TokenId(id);
    BYTEGRAD_CHECK(data.id_to_piece(token) == model.id_to_piece(token), source, ": token ", id, " is '",
                   data.id_to_piece(token), "' in the data's tokenizer but '", model.id_to_piece(token),
                   "' in init_from's model's; leave data.bpe_vocab_size and data.tokenizer out to use the model's own");
  }
}

}  // namespace bytegrad::train
