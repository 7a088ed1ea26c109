// Running a trained soft encoder over a host's vocabulary: the embeddings of chosen tokens, their
// nearest-neighbour accuracy against the host's table, and the whole input table the host reads.
#pragma once

#include <cstdint>
#include <vector>

#include "nn/soft_encoder.h"
#include "train/soft_encoder/token_dataset.h"

namespace bytegrad::train {

// The encoder's embeddings [ids.size(), output] of tokens `ids` of `data`, without recording
// gradients, `batch` tokens at a time (each batch padded only to its longest token).
Tensor encode_tokens(const nn::SoftByteEncoder& encoder, const TokenDataset& data, const std::vector<int64_t>& ids,
                     int64_t batch = 512);

// The fraction of rows of `pred` [N, hidden] whose nearest row of `table` [vocab, hidden] (by
// Euclidean distance) is ids[i]: the host token the prediction would be taken for.
double nearest_neighbour_accuracy(const Tensor& pred, const Tensor& table, const std::vector<int64_t>& ids);

// The `k` rows of `table` nearest (by Euclidean distance) to each row of `pred`, nearest first:
// which host tokens an embedding resembles, e.g. an out-of-vocabulary word's.
std::vector<std::vector<int64_t>> nearest_tokens(const Tensor& pred, const Tensor& table, int64_t k);

// The input table [vocab, hidden] a host reads with the encoder: the encoder's embedding for
// every encoded token, the host's own row for the others (special tokens). With `rescale_norms`
// the encoder's rows are scaled by mean |host row| / mean |encoder row| over the encoded tokens,
// as the original did before plugging its predictions into Mistral.
Tensor soft_input_table(const nn::SoftByteEncoder& encoder, const TokenDataset& data, bool rescale_norms);

}  // namespace bytegrad::train
