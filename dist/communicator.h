// The ranks of a job and the collective operations between them, over tensors:
//
//   std::unique_ptr<Communicator> world = communicator_from_environment();  // dist/environment.h
//   world->all_reduce(gradient, ReduceOp::Average);  // every rank now holds the mean
//
// Every rank must make the same calls in the same order with tensors of the same size and dtype;
// a rank that does not (a different size, a different operation) makes every rank throw Error
// naming both calls, and a rank that dies or stops calling makes the others end the job after
// a bounded time (dist/mpi_collectives.h) instead of waiting for ever.
//
// The transport is chosen by the tensor's device: CPU tensors go through the CPU transport (MPI,
// or none in a single process), CUDA tensors through the CUDA one (NCCL) when the build has it.
#pragma once

#include <memory>
#include <string>

#include "dist/collectives.h"
#include "tensor/tensor.h"

namespace bytegrad::dist {

class Communicator {
 public:
  // `cpu` carries CPU tensors (required); `cuda` carries CUDA tensors and may be null, in which
  // case a CUDA tensor is an error naming the call. Throws Error when rank is not in
  // [0, world_size) or `cpu` is null.
  Communicator(int rank, int world_size, std::unique_ptr<Collectives> cpu, std::unique_ptr<Collectives> cuda = nullptr);

  // Gives CUDA tensors a transport (NCCL, dist/nccl_collectives.h), which needs this
  // communicator to start; replaces any earlier one.
  void attach_cuda_transport(std::unique_ptr<Collectives> cuda) { cuda_ = std::move(cuda); }
  bool has_cuda_transport() const { return cuda_ != nullptr; }
  // The transport of CPU tensors, which a host-staged CUDA transport (dist/host_staged.h) runs on.
  Collectives& cpu_transport() { return *cpu_; }

  int rank() const { return rank_; }
  int world_size() const { return world_size_; }
  // Rank 0, the one that logs and writes files.
  bool is_main() const { return rank_ == 0; }
  // "rank 1 of 2 (mpi)", for messages.
  std::string describe() const;

  // In place: every rank's `tensor` becomes the elementwise sum (or mean) of all ranks' tensors.
  // Contiguous float32, float64, int32 or int64 (Average: floating only).
  void all_reduce(const Tensor& tensor, ReduceOp op = ReduceOp::Sum);
  // `input` holds world_size * k elements on every rank, `output` k elements of the same dtype
  // and device: rank r receives elements [r * k, (r + 1) * k) of the reduction. Both contiguous.
  void reduce_scatter(const Tensor& input, const Tensor& output, ReduceOp op = ReduceOp::Sum);
  // `output` holds world_size * k elements, `input` k: rank r's input lands at [r * k, (r + 1) * k)
  // of every rank's output. Both contiguous, of one dtype (any) and device.
  void all_gather(const Tensor& input, const Tensor& output);
  // In place: every rank's contiguous `tensor` (any dtype) receives rank `root`'s values.
  void broadcast(const Tensor& tensor, int root = 0);
  // Returns once every rank has called it.
  void barrier();

  // The mean over ranks of one number per rank (a logged loss, say).
  double average(double value);
  // The sum over ranks of one count per rank.
  int64_t sum(int64_t value);

 private:
  Collectives& transport(const char* op, const Tensor& tensor);

  int rank_, world_size_;
  std::unique_ptr<Collectives> cpu_, cuda_;
};

}  // namespace bytegrad::dist
