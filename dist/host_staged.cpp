#include "dist/host_staged.h"

#include "tensor/creation.h"
#include "tensor/views.h"

namespace bytegrad::dist {

void HostStagedCollectives::all_reduce(const Tensor& tensor, ReduceOp op) {
  const Tensor host = tensor.to(kCPU);
  host_.all_reduce(host, op);
  ops::copy_(tensor, host);
}

void HostStagedCollectives::reduce_scatter(const Tensor& input, const Tensor& output, ReduceOp op) {
  const Tensor host_output = empty(output.shape(), {output.dtype(), kCPU});
  host_.reduce_scatter(input.to(kCPU), host_output, op);
  ops::copy_(output, host_output);
}

void HostStagedCollectives::all_gather(const Tensor& input, const Tensor& output) {
  const Tensor host_output = empty(output.shape(), {output.dtype(), kCPU});
  host_.all_gather(input.to(kCPU), host_output);
  ops::copy_(output, host_output);
}

void HostStagedCollectives::broadcast(const Tensor& tensor, int root) {
  const Tensor host = tensor.to(kCPU);
  host_.broadcast(host, root);
  ops::copy_(tensor, host);
}

}  // namespace bytegrad::dist
