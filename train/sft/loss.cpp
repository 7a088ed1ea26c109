#include "train/sft/loss.h"

#include "autograd/operators.h"
#include "base/error.h"
#include "nn/token_log_probs.h"

namespace bytegrad::train {

Tensor masked_normalize(const Tensor& values, const Tensor& mask, double normalize_constant,
                        std::optional<int64_t> dim) {
  BYTEGRAD_CHECK(values.shape() == mask.shape(), "masked_normalize: values ", shape_str(values.shape()),
                 " and mask ", shape_str(mask.shape()), " must have the same shape");
  BYTEGRAD_CHECK(normalize_constant != 0, "masked_normalize: normalize_constant must not be 0");
  const Tensor masked = values * to(mask, values.dtype());
  return (dim ? sum(masked, {*dim}) : sum(masked)) / normalize_constant;
}

Tensor token_kl_divergence(const Tensor& logits, const Tensor& reference_logits) {
  BYTEGRAD_CHECK(logits.dim() == 3 && logits.shape() == reference_logits.shape(), "token_kl_divergence: logits ",
                 shape_str(logits.shape()), " and reference logits ", shape_str(reference_logits.shape()),
                 " must both be [B, T, V]");
  const Tensor log_p = log_softmax(logits, -1);
  const Tensor log_q = log_softmax(reference_logits.detach(), -1);
  return sum(exp(log_p) * (log_p - log_q), {-1});  // [B, T]
}

SftMicrobatchLoss sft_microbatch_loss(const Tensor& logits, const SftBatch& batch, int64_t grad_accum_steps,
                                      const Tensor* reference_logits, double kl_coef) {
  BYTEGRAD_CHECK(batch.response_tokens > 0, "sft: a batch without response tokens has no loss to train on");
  BYTEGRAD_CHECK(grad_accum_steps > 0, "sft: grad_accum_steps must be positive, got ", grad_accum_steps);
  const double tokens = double(batch.response_tokens);
  const Tensor nll = -masked_normalize(nn::token_log_probs(logits, batch.labels), batch.response_mask, tokens);
  SftMicrobatchLoss out;
  out.nll = nll.item<float>();
  Tensor loss = nll;
  if (reference_logits) {
    const Tensor kl = masked_normalize(token_kl_divergence(logits, *reference_logits), batch.response_mask, tokens);
    out.kl = kl.item<float>();
    loss = loss + kl * kl_coef;
  }
  {
    NoGradGuard no_grad;  // the entropy is only logged
    out.entropy = masked_normalize(nn::token_entropy(logits.detach()), batch.response_mask, tokens).item<float>();
  }
  out.scaled_loss = grad_accum_steps == 1 ? loss : loss / double(grad_accum_steps);
  return out;
}

}  // namespace bytegrad::train
