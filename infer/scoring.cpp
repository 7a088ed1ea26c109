#include "infer/scoring.h"

#include "nn/token_log_probs.h"

namespace bytegrad::infer {

Tensor compute_entropy(const Tensor& logits) { return nn::token_entropy(logits); }

ResponseLogProbs get_response_log_probs(const nn::CausalLM& model, const Tensor& input_ids,
                                        const Tensor& labels, bool return_token_entropy) {
  BYTEGRAD_CHECK(input_ids.shape() == labels.shape(), "get_response_log_probs: input_ids ",
                 shape_str(input_ids.shape()), " and labels ", shape_str(labels.shape()),
                 " must have the same shape [B, T]");
  const Tensor logits = model.forward(input_ids);  // [B, T, V]
  ResponseLogProbs result;
  result.log_probs = nn::token_log_probs(logits, labels);
  if (return_token_entropy) result.token_entropy = compute_entropy(logits);
  return result;
}

}  // namespace bytegrad::infer
