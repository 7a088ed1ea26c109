#include "nn/causal_mask.h"

#include "tensor/creation.h"
#include "tensor/ops.h"

namespace bytegrad::nn {

Tensor causal_mask(int64_t query_start, int64_t tokens, int64_t keys, Device device) {
  // The first query (position query_start) has the most keys in its future: keys after it.
  if (keys <= query_start + 1) return Tensor();
  const TensorOptions positions{DType::Int64, device};
  const Tensor query_positions =
      ops::unsqueeze(arange(double(query_start), double(query_start + tokens), 1, positions), 1);
  const Tensor key_positions = ops::unsqueeze(arange(0, double(keys), 1, positions), 0);
  return ops::binary(kernels::BinaryOp::Greater, key_positions, query_positions);  // [T, S]
}

Tensor CausalMaskCache::get(int64_t query_start, int64_t tokens, int64_t keys,
                            Device device) const {
  const Key key{query_start, tokens, keys, device};
  std::lock_guard lock(mutex_);
  if (!(key == key_)) {
    mask_ = causal_mask(query_start, tokens, keys, device);
    key_ = key;
  }
  return mask_;
}

}  // namespace bytegrad::nn
