// Embedding: a lookup table of one learned vector per token id.
#pragma once

#include "autograd/functions.h"
#include "nn/module.h"
#include "nn/module_scope.h"
#include "tensor/creation.h"

namespace bytegrad::nn {

class Embedding : public Module {
 public:
  // weight [num_embeddings, dim] starts normal(0, std), float32 (torch.nn.Embedding uses std 1;
  // transformer models pass their initializer_range).
  Embedding(int64_t num_embeddings, int64_t dim, Generator& generator, double std = 1.0) {
    weight = normal({num_embeddings, dim}, 0.0, std, {}, &generator);
    register_parameter("weight", &weight);
  }

  // ids (int64, any shape) -> ids.shape + [dim]. Throws Error for an id outside the table.
  Tensor forward(const Tensor& ids) const {
    const ModuleScope scope(this);
    return embedding(weight, ids);
  }

  Tensor weight;  // [num_embeddings, dim]
};

}  // namespace bytegrad::nn
