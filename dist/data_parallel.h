// Data-parallel training's gradient averaging (as PyTorch's DistributedDataParallel does it): each
// rank runs the whole model on its own slice of the batch, and every parameter's gradient is
// averaged over the ranks before the update, so that every rank takes the same step.
//
// The parameters are grouped into buckets of about `bucket_bytes`, filled from the last
// parameter to the first (backward produces the last layers' gradients first). A bucket is
// averaged as soon as backward has completed the gradient of every parameter in it (the leaves'
// on_grad_ready hook, tensor/tensor.h), while backward goes on through the earlier layers: one
// collective per bucket instead of one per parameter, started as early as the gradients allow.
// Buckets are averaged in the same order on every rank (a bucket completed early waits for the
// ones before it), so the ranks' collectives always match.
//
//   DataParallel parallel(world, model.named_parameters());
//   parallel.set_averaging(last_micro_batch);  // false: accumulate locally (PyTorch's no_sync)
//   backward(loss);
//   parallel.finish();  // every gradient is now the mean over ranks
#pragma once

#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "dist/communicator.h"

namespace bytegrad::dist {

struct DataParallelOptions {
  int64_t bucket_bytes = 25 << 20;  // PyTorch DDP's default bucket_cap_mb of 25
};

class DataParallel {
 public:
  // Hooks every parameter (float32, contiguous, on one device; an error names the one that is
  // not). `communicator` and the parameters must outlive this object.
  DataParallel(Communicator& communicator, std::vector<std::pair<std::string, Tensor>> parameters,
               DataParallelOptions options = {});
  ~DataParallel();  // removes the hooks
  DataParallel(const DataParallel&) = delete;
  DataParallel& operator=(const DataParallel&) = delete;

  // Copies rank 0's parameter values to every rank, so that all start from the same model.
  void broadcast_parameters();

  // Whether the coming backward passes average their buckets (the last micro-batch of a step)
  // or only accumulate gradients locally (the others). On by default.
  void set_averaging(bool averaging) { averaging_ = averaging; }

  // Averages the buckets backward did not complete (a parameter that received no gradient
  // counts as zeros there), in order. After it, every parameter's .grad is the mean over the
  // ranks of their gradients, and the next backward starts a fresh round.
  void finish();

  Communicator& communicator() { return communicator_; }
  int64_t bucket_count() const { return int64_t(buckets_.size()); }

 private:
  struct Bucket {
    std::vector<size_t> members;  // indices into parameters_, in the order backward completes them
    Tensor flat;                  // the members' gradients end to end, float32
    size_t ready = 0;             // members whose gradient is complete this round
  };

  void on_grad_ready(size_t bucket);
  void average_bucket(Bucket& bucket);

  Communicator& communicator_;
  std::vector<std::pair<std::string, Tensor>> parameters_;
  std::vector<Bucket> buckets_;
  size_t next_bucket_ = 0;  // the first bucket not averaged yet this round
  bool averaging_ = true;
};

}  // namespace bytegrad::dist
