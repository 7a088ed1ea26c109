// The causal mask of self-attention: which keys lie in a query's future. Queries at positions
// query_start .. query_start + T - 1 against keys at positions 0 .. S - 1 give a bool [T, S]
// tensor, true where the key's position exceeds the query's (the scores that must not count).
#pragma once

#include <cstdint>
#include <mutex>

#include "tensor/tensor.h"

namespace bytegrad::nn {

// The [T, S] mask built on `device`, or an undefined tensor when no query has a key in its
// future (a single query at the last position, as in a KV-cache decode step), so that the
// caller can skip masking altogether.
Tensor causal_mask(int64_t query_start, int64_t tokens, int64_t keys, Device device);

// A causal_mask kept for reuse: an attention module owns one, so that training (one shape
// throughout) builds its mask once, and a decode step once per layer. Safe to use from several
// threads.
class CausalMaskCache {
 public:
  // causal_mask(query_start, tokens, keys, device), from the cache when the last call asked
  // for the same.
  Tensor get(int64_t query_start, int64_t tokens, int64_t keys, Device device) const;

 private:
  struct Key {
    int64_t query_start = -1, tokens = -1, keys = -1;
    Device device;
    bool operator==(const Key&) const = default;
  };
  mutable std::mutex mutex_;
  mutable Key key_;
  mutable Tensor mask_;
};

}  // namespace bytegrad::nn
