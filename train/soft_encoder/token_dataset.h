// The soft encoder's training data: for each token of a host's vocabulary, its bytes (the input)
// and its row of the host's input embedding table (the target), with a held-out split of tokens
// that training never sees.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "nn/causal_lm.h"
#include "tensor/tensor.h"
#include "tokenizer/tokenizer.h"

namespace bytegrad::train {

struct TokenDatasetOptions {
  bool true_bytes = true;         // the tokens' true bytes; false: their raw spellings ("▁", "<0x0A>")
  double heldout_fraction = 0.05; // of the ordinary tokens, held out of training
  uint64_t seed = 0;              // draws the held-out tokens
};

struct TokenDataset {
  std::vector<std::string> bytes;   // per id: the encoder's input (empty for ids not encoded)
  std::vector<bool> encoded;        // per id: an ordinary token the encoder learns
  Tensor targets;                   // [vocab, hidden] float32: the host's input table, detached
  std::vector<int64_t> train_ids;   // ordinary tokens trained on
  std::vector<int64_t> heldout_ids; // ordinary tokens never trained on
  int64_t max_bytes = 0;            // the longest input among the encoded tokens
};

// The host's input embedding table [vocab, hidden]: the parameter among its
// embedding_parameter_names() of that shape. Throws Error naming `source` (the model directory)
// when it has none.
Tensor host_input_table(const nn::CausalLM& host, const std::string& source);

// Every non-special, defined, non-empty token of `tokenizer` paired with its row of `table`,
// split by `options`. Throws Error naming `source` when the tokenizer's vocabulary size differs
// from the table's rows, or the fraction is outside [0, 1).
TokenDataset make_token_dataset(const tokenizer::Tokenizer& tokenizer, const Tensor& table,
                                const TokenDatasetOptions& options, const std::string& source);

}  // namespace bytegrad::train
