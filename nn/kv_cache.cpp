#include "nn/kv_cache.h"

#include <algorithm>

#include "autograd/grad_mode.h"
#include "base/error.h"
#include "tensor/creation.h"
#include "tensor/views.h"

namespace bytegrad::nn {

KVCache::KVCache(int64_t num_layers, int64_t capacity)
    : layers(size_t(std::max<int64_t>(num_layers, 0)), Layer(capacity)), capacity(capacity) {
  BYTEGRAD_CHECK(num_layers > 0 && capacity > 0, "KVCache: ", num_layers, " layers and capacity ",
                 capacity, " must both be positive");
}

void KVCache::check_room(const char* model, int64_t tokens) const {
  BYTEGRAD_CHECK(length + tokens <= capacity, model, ": ", length, " cached tokens and ", tokens,
                 " new ones exceed the KV cache's capacity of ", capacity,
                 " positions (make_cache(max_length) sizes it)");
}

std::pair<Tensor, Tensor> KVCache::Layer::write(const Tensor& k, const Tensor& v,
                                                int64_t start_pos) {
  BYTEGRAD_CHECK(k.dim() == 4 && k.shape() == v.shape() && k.dtype() == v.dtype(),
                 "KVCache: keys ", shape_str(k.shape()), " and values ", shape_str(v.shape()),
                 " must both be [B, H_kv, T, D] of one dtype");
  BYTEGRAD_CHECK(!(grad_enabled() && (k.requires_grad() || v.requires_grad())),
                 "KVCache: the keys and values require grad, but the cache is written in place "
                 "and records no graph; decode under a NoGradGuard");
  const int64_t tokens = k.size(2);
  BYTEGRAD_CHECK(start_pos >= 0 && start_pos + tokens <= capacity, "KVCache: positions ",
                 start_pos, "..", start_pos + tokens - 1, " run past the capacity of ", capacity,
                 " positions");
  if (!keys.defined()) {
    const Shape shape{k.size(0), k.size(1), capacity, k.size(3)};
    keys = empty(shape, {k.dtype(), k.device()});
    values = empty(shape, {k.dtype(), k.device()});
  }
  BYTEGRAD_CHECK(keys.size(0) == k.size(0) && keys.size(1) == k.size(1) &&
                     keys.size(3) == k.size(3) && keys.dtype() == k.dtype() &&
                     keys.device() == k.device(),
                 "KVCache: keys ", shape_str(k.shape()), " (", k.dtype(),
                 ") do not fit the cache's buffer ", shape_str(keys.shape()), " (", keys.dtype(),
                 ")");
  ops::copy_(ops::narrow(keys, 2, start_pos, tokens), k);
  ops::copy_(ops::narrow(values, 2, start_pos, tokens), v);
  return {ops::narrow(keys, 2, 0, start_pos + tokens), ops::narrow(values, 2, 0, start_pos + tokens)};
}

}  // namespace bytegrad::nn
