// The transport of a job that is one process: every collective is the identity (the sum over one
// rank is its own value), so code written for many ranks runs alone with no MPI at all.
#pragma once

#include "dist/collectives.h"

namespace bytegrad::dist {

class SingleProcessCollectives final : public Collectives {
 public:
  std::string name() const override { return "single process"; }
  void all_reduce(const Tensor&, ReduceOp) override {}
  void reduce_scatter(const Tensor& input, const Tensor& output, ReduceOp op) override;
  void all_gather(const Tensor& input, const Tensor& output) override;
  void broadcast(const Tensor&, int) override {}
  void barrier() override {}
};

}  // namespace bytegrad::dist
