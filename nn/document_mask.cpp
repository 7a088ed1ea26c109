#include "nn/document_mask.h"

#include <vector>

#include "base/error.h"
#include "tensor/creation.h"
#include "tensor/ops.h"

namespace bytegrad::nn {

Tensor document_causal_mask(const Tensor& position_ids) {
  BYTEGRAD_CHECK(position_ids.dim() == 2 && position_ids.dtype() == kInt64 && position_ids.size(1) > 0,
                 "document_causal_mask: position_ids ", shape_str(position_ids.shape()), " (",
                 position_ids.dtype(), ") must be int64 [batch, tokens]");
  const int64_t batch = position_ids.size(0), tokens = position_ids.size(1);
  const std::vector<int64_t> positions = ops::to(position_ids, kCPU).to_vector<int64_t>();
  std::vector<uint8_t> blocked(size_t(batch * tokens * tokens), 0);
  for (int64_t b = 0; b < batch; ++b) {
    int64_t document_start = 0;  // the first position of the query's document
    for (int64_t t = 0; t < tokens; ++t) {
      if (positions[size_t(b * tokens + t)] == 0) document_start = t;
      uint8_t* row = blocked.data() + (b * tokens + t) * tokens;
      for (int64_t s = 0; s < tokens; ++s) row[s] = s < document_start || s > t;
    }
  }
  return ops::to(ops::to(from_vector(blocked, {batch, tokens, tokens}), kBool), position_ids.device());
}

}  // namespace bytegrad::nn
