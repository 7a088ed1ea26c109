// Checks of a training run that must fail before the corpus is read or a tensor is allocated
// (a mistake should cost seconds, not the minutes of tokenizing a corpus): the model's size
// against the machine's memory; and, once the data's tokenizer is loaded or trained (a trained
// BPE's size is known only then) but before any step, that tokenizer against the model a run
// starts from.
#pragma once

#include <cstdint>
#include <string>

#include "tokenizer/tokenizer.h"
#include "train/run_config.h"

namespace bytegrad::train {

// Bytes of memory a float32 parameter costs in training: the weight, its gradient and the
// optimizer's two moments (AdamW; SGD with momentum needs less).
inline constexpr int64_t kTrainingBytesPerParameter = 16;

// The machine's physical memory in bytes.
uint64_t physical_memory_bytes();

// The vocabulary size the run's model will have when its model section gives none (0 when it
// does), known before the corpus is read: the size of the BPE to train (an upper bound), else the loaded
// tokenizer's (data.tokenizer or the shards' tokenizer.json, read here; a missing one is left to
// the data loader to name, counting 1).
int64_t planned_vocab_size(const RunConfig& config);

// Throws Error naming `source` when the model config (with planned_vocab_size) is invalid, its
// parameter count overflows, or training it needs more than `memory_bytes` (the bytes needed
// printed).
void check_run_before_data(const RunConfig& config, const std::string& source,
                           uint64_t memory_bytes = physical_memory_bytes());

// Throws Error naming `source` unless `data` (the tokenizer the run's data was tokenized with)
// gives every id the same piece as `model` (the tokenizer of init_from's model): ids of another
// tokenizer would be trained into embeddings learnt for different text.
void check_same_tokenizer(const tokenizer::Tokenizer& data, const tokenizer::Tokenizer& model, const std::string& source);

}  // namespace bytegrad::train
