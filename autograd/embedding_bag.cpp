// Gradient of the embedding bag: each bag's incoming gradient row is added, scaled as in the
// forward pass, into every weight row the bag read. Recorded as a sparse gradient, so that a
// leaf table's .grad receives the rows in place and no dense [V, h] temporary is made per step.
#include "autograd/functions.h"
#include "autograd/node.h"

namespace bytegrad {

Tensor embedding_bag(const Tensor& weight, const Tensor& ids, const Tensor& offsets,
                     BagAggregation aggregation, bool normalize) {
  Tensor out = ops::embedding_bag(weight, ids, offsets, aggregation, normalize);
  if (!should_record({weight})) return out;
  return record_sparse("embedding_bag", out, weight,
                       [ids, offsets, aggregation, normalize](const Tensor& g, const Tensor& grad) {
                         ops::embedding_bag_backward_(grad, g, ids, offsets, aggregation, normalize);
                       });
}

}  // namespace bytegrad
