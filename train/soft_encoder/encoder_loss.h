// The soft encoder's objective: how far predicted embeddings lie from the host's rows.
//
//   loss = mse * mean((pred - target)^2) / mean(table^2)      scaled MSE: 1 for predicting 0
//        + cosine * mean(1 - cos(pred, target))
//        + contrastive * CE(cos(pred, table) / temperature, target id)
//
// Dividing the MSE by the table's mean square makes it a relative error, independent of the
// host's embedding scale (the original multiplied by a hand-picked 100 for Mistral's rows). The
// contrastive term scores each prediction against the whole table, pushing it towards its own
// row and away from the others: what nearest-neighbour accuracy measures.
#pragma once

#include <nlohmann/json.hpp>

#include "tensor/tensor.h"

namespace bytegrad::train {

struct EncoderLossWeights {
  double mse = 1.0;
  double cosine = 1.0;
  double contrastive = 0.0;
  double temperature = 0.05;  // of the contrastive softmax over cosines
};

struct EncoderLoss {
  Tensor total;  // scalar, differentiable
  double mse = 0, cosine = 0, contrastive = 0;  // each term before its weight
};

// pred and target [N, hidden], table [vocab, hidden] (the host's, not differentiated),
// ids int64 [N]: each row's token. The contrastive term is computed only when its weight is set.
EncoderLoss encoder_loss(const Tensor& pred, const Tensor& target, const Tensor& table, const Tensor& ids,
                         const EncoderLossWeights& weights);

// Reads config["loss"] ("mse", "cosine", "contrastive", "temperature"); throws Error naming
// `source` and the key for an unknown key, a negative weight or a non-positive temperature.
EncoderLossWeights read_loss_section(const nlohmann::json& config, const std::string& source);

}  // namespace bytegrad::train
