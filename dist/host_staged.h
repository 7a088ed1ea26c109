// A transport for tensors of a device that has no collective engine of its own in this build:
// each call copies the tensor to the CPU, runs the CPU transport (MPI) there, and copies the
// result back. It is what carries CUDA tensors where NCCL is absent: the emulated CUDA device in
// CI, or a GPU build without NCCL; slower than NCCL by two host copies a call, and exact.
#pragma once

#include "dist/collectives.h"

namespace bytegrad::dist {

class HostStagedCollectives final : public Collectives {
 public:
  // `host` carries CPU tensors and must outlive this transport (both belong to one Communicator).
  explicit HostStagedCollectives(Collectives& host) : host_(host) {}

  std::string name() const override { return host_.name() + " through the host"; }
  void all_reduce(const Tensor& tensor, ReduceOp op) override;
  void reduce_scatter(const Tensor& input, const Tensor& output, ReduceOp op) override;
  void all_gather(const Tensor& input, const Tensor& output) override;
  void broadcast(const Tensor& tensor, int root) override;
  void barrier() override { host_.barrier(); }

 private:
  Collectives& host_;
};

}  // namespace bytegrad::dist
