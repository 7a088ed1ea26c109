#include "dist/nccl_collectives.h"

#include <cuda_runtime.h>
#include <nccl.h>

#include <chrono>
#include <thread>
#include <vector>

#include "tensor/creation.h"

namespace bytegrad::dist {
namespace {

void check_cuda(cudaError_t code, const char* what) {
  if (code != cudaSuccess) throw Error(concat("dist nccl: ", what, " failed: ", cudaGetErrorString(code)));
}

void check_nccl(ncclResult_t code, const char* what) {
  if (code != ncclSuccess && code != ncclInProgress)
    throw Error(concat("dist nccl: ", what, " failed: ", ncclGetErrorString(code)));
}

ncclDataType_t nccl_type(DType dtype) {
  switch (dtype) {
    case DType::Float32: return ncclFloat32;
    case DType::Float64: return ncclFloat64;
    case DType::BFloat16: return ncclBfloat16;
    case DType::Float16: return ncclFloat16;
    case DType::Int32: return ncclInt32;
    case DType::Int64: return ncclInt64;
    case DType::Bool:
    case DType::UInt8: return ncclUint8;
    case DType::Int8: return ncclInt8;
  }
  throw Error(concat("dist nccl: no NCCL type for ", dtype));
}

ncclRedOp_t nccl_op(ReduceOp op) { return op == ReduceOp::Sum ? ncclSum : ncclAvg; }

class NcclCollectives final : public Collectives {
 public:
  NcclCollectives(Communicator& cpu_world, int device, double timeout_seconds)
      : cpu_world_(cpu_world), device_(device), timeout_seconds_(timeout_seconds) {
    check_cuda(cudaSetDevice(device_), "cudaSetDevice");
    ncclUniqueId id;
    if (cpu_world_.is_main()) check_nccl(ncclGetUniqueId(&id), "ncclGetUniqueId");
    const Tensor id_bytes = empty({int64_t(sizeof id)}, {kUInt8, kCPU});
    id_bytes.copy_from_host(&id, sizeof id);
    cpu_world_.broadcast(id_bytes, 0);
    id_bytes.copy_to_host(&id, sizeof id);
    check_nccl(ncclCommInitRank(&comm_, cpu_world_.world_size(), id, cpu_world_.rank()), "ncclCommInitRank");
    check_cuda(cudaStreamCreateWithFlags(&stream_, cudaStreamNonBlocking), "cudaStreamCreate");
  }

  ~NcclCollectives() override {
    cudaStreamDestroy(stream_);
    if (comm_ != nullptr) ncclCommDestroy(comm_);  // null once aborted
  }

  std::string name() const override { return "nccl"; }

  void all_reduce(const Tensor& tensor, ReduceOp op) override {
    agree(1, tensor, int64_t(op));
    run("all_reduce", [&] {
      return ncclAllReduce(tensor.data_ptr(), tensor.data_ptr(), size_t(tensor.numel()), nccl_type(tensor.dtype()),
                           nccl_op(op), comm_, stream_);
    });
  }

  void reduce_scatter(const Tensor& input, const Tensor& output, ReduceOp op) override {
    agree(2, input, int64_t(op));
    run("reduce_scatter", [&] {
      return ncclReduceScatter(input.data_ptr(), output.data_ptr(), size_t(output.numel()), nccl_type(input.dtype()),
                               nccl_op(op), comm_, stream_);
    });
  }

  void all_gather(const Tensor& input, const Tensor& output) override {
    agree(3, input, 0);
    run("all_gather", [&] {
      return ncclAllGather(input.data_ptr(), output.data_ptr(), size_t(input.numel()), nccl_type(input.dtype()), comm_,
                           stream_);
    });
  }

  void broadcast(const Tensor& tensor, int root) override {
    agree(4, tensor, root);
    run("broadcast", [&] {
      return ncclBroadcast(tensor.data_ptr(), tensor.data_ptr(), size_t(tensor.numel()), nccl_type(tensor.dtype()),
                           root, comm_, stream_);
    });
  }

  void barrier() override { cpu_world_.barrier(); }

 private:
  // The ranks' (operation, dtype, element count, detail) compared through the CPU communicator
  // before any GPU memory moves.
  void agree(int64_t op, const Tensor& tensor, int64_t detail) {
    const Tensor mine = empty({4}, {kInt64, kCPU});
    const std::vector<int64_t> header{op, int64_t(tensor.dtype()), tensor.numel(), detail};
    mine.copy_from_host(header.data(), sizeof(int64_t) * header.size());
    const Tensor all = empty({4 * cpu_world_.world_size()}, {kInt64, kCPU});
    cpu_world_.all_gather(mine, all);
    const std::vector<int64_t> headers = all.to_vector<int64_t>();
    for (int r = 0; r < cpu_world_.world_size(); ++r)
      for (size_t i = 0; i < 4; ++i)
        BYTEGRAD_CHECK(headers[size_t(4 * r) + i] == headers[i], "dist nccl: the ranks disagree on a collective: rank 0 "
                       "calls operation ", headers[0], " on ", headers[2], " elements of dtype ", DType(headers[1]),
                       ", rank ", r, " operation ", headers[size_t(4 * r)], " on ", headers[size_t(4 * r + 2)],
                       " elements of dtype ", DType(headers[size_t(4 * r + 1)]),
                       "; every rank must make the same calls with the same sizes");
  }

  // Enqueues `launch` after the device's pending work and waits for it within the timeout.
  template <typename Launch>
  void run(const char* what, const Launch& launch) {
    check_cuda(cudaSetDevice(device_), "cudaSetDevice");
    check_cuda(cudaDeviceSynchronize(), what);
    check_nccl(launch(), what);
    using Clock = std::chrono::steady_clock;
    const auto deadline = Clock::now() + std::chrono::duration<double>(timeout_seconds_);
    for (;;) {
      const cudaError_t state = cudaStreamQuery(stream_);
      if (state == cudaSuccess) return;
      if (state != cudaErrorNotReady) check_cuda(state, what);
      ncclResult_t async = ncclSuccess;
      check_nccl(ncclCommGetAsyncError(comm_, &async), "ncclCommGetAsyncError");
      check_nccl(async, what);
      if (Clock::now() > deadline) {
        ncclCommAbort(comm_);
        comm_ = nullptr;
        throw Error(concat("dist nccl: rank ", cpu_world_.rank(), ": ", what, " did not complete within ",
                           timeout_seconds_, " s (BYTEGRAD_DIST_TIMEOUT): another rank died or stopped making the "
                           "same collective calls"));
      }
      std::this_thread::sleep_for(std::chrono::microseconds(20));
    }
  }

  Communicator& cpu_world_;
  int device_;
  double timeout_seconds_;
  ncclComm_t comm_ = nullptr;
  cudaStream_t stream_ = nullptr;
};

}  // namespace

int visible_cuda_devices() {
  int count = 0;
  return cudaGetDeviceCount(&count) == cudaSuccess ? count : 0;
}

std::unique_ptr<Collectives> nccl_collectives(Communicator& cpu_world, int device, double timeout_seconds) {
  return std::make_unique<NcclCollectives>(cpu_world, device, timeout_seconds);
}

}  // namespace bytegrad::dist
