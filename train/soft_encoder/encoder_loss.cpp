#include "train/soft_encoder/encoder_loss.h"

#include "autograd/functions.h"
#include "autograd/operators.h"
#include "nn/loss.h"
#include "train/config_section.h"

namespace bytegrad::train {
namespace {

// Each row divided by its L2 norm (eps keeps a zero row finite).
Tensor unit_rows(const Tensor& x) { return x * rsqrt(sum(square(x), {-1}, true) + 1e-12); }

}  // namespace

EncoderLoss encoder_loss(const Tensor& pred, const Tensor& target, const Tensor& table, const Tensor& ids,
                         const EncoderLossWeights& weights) {
  EncoderLoss loss;
  const Tensor table_mean_square = mean(square(table));
  const Tensor mse = mean(square(pred - target)) / table_mean_square;
  const Tensor unit_pred = unit_rows(pred);
  const Tensor cosine = 1.0 - mean(sum(unit_pred * unit_rows(target), {-1}));
  Tensor total = mse * weights.mse + cosine * weights.cosine;
  loss.mse = mse.item<float>();
  loss.cosine = cosine.item<float>();
  if (weights.contrastive > 0) {
    const Tensor logits = matmul(unit_pred, transpose(unit_rows(table), 0, 1)) / weights.temperature;  // [N, V]
    const Tensor contrastive = nn::cross_entropy(logits, ids);
    total = total + contrastive * weights.contrastive;
    loss.contrastive = contrastive.item<float>();
  }
  loss.total = total;
  return loss;
}

EncoderLossWeights read_loss_section(const nlohmann::json& config, const std::string& source) {
  EncoderLossWeights weights;
  const ConfigSection section(config, "loss", source, {"mse", "cosine", "contrastive", "temperature"});
  section.read("mse", weights.mse);
  section.read("cosine", weights.cosine);
  section.read("contrastive", weights.contrastive);
  section.read("temperature", weights.temperature);
  BYTEGRAD_CHECK(weights.mse >= 0 && weights.cosine >= 0 && weights.contrastive >= 0, source,
                 ": loss weights must not be negative");
  BYTEGRAD_CHECK(weights.mse + weights.cosine + weights.contrastive > 0, source, ": every loss weight is 0");
  check_positive(source, "loss.temperature", weights.temperature);
  return weights;
}

}  // namespace bytegrad::train
