// A transport that moves tensors of one kind of device between the ranks of a job: MPI for CPU
// tensors (dist/mpi_collectives.h), NCCL for CUDA tensors, or nothing at all when the job is one
// process (dist/single_process.h). A Communicator (dist/communicator.h) checks every call's
// arguments once and hands it to the transport of the tensor's device, so a transport only moves
// bytes: it may assume contiguous tensors, sizes that divide by the world size, and a dtype the
// operation accepts.
#pragma once

#include <string>

#include "tensor/tensor.h"

namespace bytegrad::dist {

// How all_reduce and reduce_scatter combine the ranks' values elementwise.
enum class ReduceOp { Sum, Average };

const char* reduce_op_name(ReduceOp op);  // "sum", "average"

class Collectives {
 public:
  virtual ~Collectives() = default;
  // The engine underneath, for messages: "mpi", "nccl", "single process".
  virtual std::string name() const = 0;
  virtual void all_reduce(const Tensor& tensor, ReduceOp op) = 0;
  virtual void reduce_scatter(const Tensor& input, const Tensor& output, ReduceOp op) = 0;
  virtual void all_gather(const Tensor& input, const Tensor& output) = 0;
  virtual void broadcast(const Tensor& tensor, int root) = 0;
  virtual void barrier() = 0;
};

}  // namespace bytegrad::dist
