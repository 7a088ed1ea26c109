#include "dist/single_process.h"

#include "tensor/views.h"

namespace bytegrad::dist {

// With one rank the output is the whole input (Communicator checked that the sizes agree).
void SingleProcessCollectives::reduce_scatter(const Tensor& input, const Tensor& output, ReduceOp) {
  ops::copy_(output, ops::view(input, output.shape()));
}

void SingleProcessCollectives::all_gather(const Tensor& input, const Tensor& output) {
  ops::copy_(output, ops::view(input, output.shape()));
}

}  // namespace bytegrad::dist
