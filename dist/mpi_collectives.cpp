#include "dist/mpi_collectives.h"

#include <mpi.h>
#include <sched.h>

#include <chrono>
#include <climits>
#include <cstdio>
#include <exception>
#include <thread>
#include <vector>

#include "tensor/views.h"

namespace bytegrad::dist {
namespace {

bool g_alive = false;  // one MPI communicator per process

void check_mpi(int code, const char* what) {
  if (code == MPI_SUCCESS) return;
  char text[MPI_MAX_ERROR_STRING];
  int length = 0;
  MPI_Error_string(code, text, &length);
  throw Error(concat("dist mpi: ", what, " failed: ", std::string(text, size_t(length))));
}

MPI_Datatype mpi_type(DType dtype) {
  switch (dtype) {
    case DType::Float32: return MPI_FLOAT;
    case DType::Float64: return MPI_DOUBLE;
    case DType::Int32: return MPI_INT32_T;
    case DType::Int64: return MPI_INT64_T;
    default: return MPI_BYTE;  // moved as bytes (gathers and broadcasts only; Communicator checks reductions)
  }
}

// The element count and type MPI moves for `tensor`: its elements, or its bytes for dtypes
// MPI has no type for. MPI counts are int: a larger tensor is an error naming it.
struct MpiBuffer {
  void* data;
  int count;
  MPI_Datatype type;
};

MpiBuffer mpi_buffer(const char* op, const Tensor& tensor) {
  const MPI_Datatype type = mpi_type(tensor.dtype());
  const int64_t count = type == MPI_BYTE ? tensor.numel() * int64_t(dtype_size(tensor.dtype())) : tensor.numel();
  BYTEGRAD_CHECK(count <= INT_MAX, "dist mpi ", op, ": ", tensor.numel(), " elements ", shape_str(tensor.shape()),
                 " exceed MPI's int count; split the tensor");
  return {tensor.data_ptr(), int(count), type};
}

enum class OpCode : int64_t { AllReduce = 1, ReduceScatter, AllGather, Broadcast, Barrier };

const char* op_name(int64_t code) {
  switch (OpCode(code)) {
    case OpCode::AllReduce: return "all_reduce";
    case OpCode::ReduceScatter: return "reduce_scatter";
    case OpCode::AllGather: return "all_gather";
    case OpCode::Broadcast: return "broadcast";
    case OpCode::Barrier: return "barrier";
  }
  return "an unknown operation";
}

// What a rank is about to do, exchanged before the data so that the ranks can check they agree.
struct Header {
  int64_t op = 0, dtype = 0, numel = 0, detail = 0;  // detail: the ReduceOp, or the root
  std::string str() const {
    if (OpCode(op) == OpCode::Barrier) return "barrier";
    std::string text = concat(op_name(op), " of ", numel, " ", DType(dtype), " elements");
    if (OpCode(op) == OpCode::Broadcast) return concat(text, " from rank ", detail);
    if (OpCode(op) == OpCode::AllReduce || OpCode(op) == OpCode::ReduceScatter)
      return concat(text, " (", reduce_op_name(ReduceOp(detail)), ")");
    return text;
  }
  bool operator==(const Header&) const = default;
};

class MpiCollectives final : public Collectives {
 public:
  MpiCollectives(MPI_Comm comm, int rank, int world_size, bool owns_mpi, const MpiOptions& options)
      : comm_(comm), rank_(rank), world_size_(world_size), owns_mpi_(owns_mpi), options_(options) {}

  ~MpiCollectives() override {
    g_alive = false;
    // Leaving by an exception: no MPI_Finalize (it would wait for ranks that may be blocked in a
    // collective); mpirun sees this rank exit without finalizing and ends the job.
    if (std::uncaught_exceptions() > 0) return;
    MPI_Comm_free(&comm_);
    if (owns_mpi_) MPI_Finalize();
  }

  std::string name() const override { return "mpi"; }

  void all_reduce(const Tensor& tensor, ReduceOp op) override {
    agree({int64_t(OpCode::AllReduce), int64_t(tensor.dtype()), tensor.numel(), int64_t(op)}, tensor);
    const MpiBuffer buffer = mpi_buffer("all_reduce", tensor);
    MPI_Request request;
    check_mpi(MPI_Iallreduce(MPI_IN_PLACE, buffer.data, buffer.count, buffer.type, MPI_SUM, comm_, &request),
              "all_reduce");
    wait(request, "all_reduce", tensor);
    if (op == ReduceOp::Average) divide_by_world(tensor);
  }

  void reduce_scatter(const Tensor& input, const Tensor& output, ReduceOp op) override {
    agree({int64_t(OpCode::ReduceScatter), int64_t(input.dtype()), input.numel(), int64_t(op)}, input);
    const MpiBuffer in = mpi_buffer("reduce_scatter", input);
    const MpiBuffer out = mpi_buffer("reduce_scatter", output);
    MPI_Request request;
    check_mpi(MPI_Ireduce_scatter_block(in.data, out.data, out.count, out.type, MPI_SUM, comm_, &request),
              "reduce_scatter");
    wait(request, "reduce_scatter", input);
    if (op == ReduceOp::Average) divide_by_world(output);
  }

  void all_gather(const Tensor& input, const Tensor& output) override {
    agree({int64_t(OpCode::AllGather), int64_t(input.dtype()), input.numel(), 0}, input);
    const MpiBuffer in = mpi_buffer("all_gather", input);
    const MpiBuffer out = mpi_buffer("all_gather", output);
    MPI_Request request;
    check_mpi(MPI_Iallgather(in.data, in.count, in.type, out.data, in.count, in.type, comm_, &request), "all_gather");
    wait(request, "all_gather", input);
  }

  void broadcast(const Tensor& tensor, int root) override {
    agree({int64_t(OpCode::Broadcast), int64_t(tensor.dtype()), tensor.numel(), root}, tensor);
    const MpiBuffer buffer = mpi_buffer("broadcast", tensor);
    MPI_Request request;
    check_mpi(MPI_Ibcast(buffer.data, buffer.count, buffer.type, root, comm_, &request), "broadcast");
    wait(request, "broadcast", tensor);
  }

  void barrier() override {
    agree({int64_t(OpCode::Barrier), 0, 0, 0}, Tensor());
    MPI_Request request;
    check_mpi(MPI_Ibarrier(comm_, &request), "barrier");
    wait(request, "barrier", Tensor());
  }

 private:
  // Every rank's header, gathered; throws on every rank alike when one differs.
  void agree(const Header& mine, const Tensor& tensor) {
    std::vector<Header> all(static_cast<size_t>(world_size_));
    MPI_Request request;
    check_mpi(MPI_Iallgather(&mine, 4, MPI_INT64_T, all.data(), 4, MPI_INT64_T, comm_, &request), "header exchange");
    wait(request, mine.str().c_str(), tensor);
    for (int other = 0; other < world_size_; ++other) {
      if (all[size_t(other)] == all[0]) continue;
      throw Error(concat("dist: the ranks disagree on a collective: rank 0 calls ", all[0].str(), ", rank ", other,
                         " calls ", all[size_t(other)].str(), " (this is rank ", rank_,
                         tensor.defined() ? concat(", shape ", shape_str(tensor.shape())) : std::string(),
                         "); every rank must make the same calls with the same sizes"));
    }
  }

  // Polls `request` until it completes or the watchdog's deadline passes; at the deadline the
  // job is aborted, since a rank that died or went its own way will never complete it.
  void wait(MPI_Request& request, const char* what, const Tensor& tensor) {
    using Clock = std::chrono::steady_clock;
    const auto start = Clock::now();
    const auto deadline = start + std::chrono::duration<double>(options_.timeout_seconds);
    for (int polls = 0;; ++polls) {
      int done = 0;
      check_mpi(MPI_Test(&request, &done, MPI_STATUS_IGNORE), what);
      if (done) return;
      if (Clock::now() > deadline) abort_job(what, tensor);
      // Spin briefly for low latency, then give the core away: ranks may share cores.
      if (polls < 100) sched_yield();
      else std::this_thread::sleep_for(std::chrono::microseconds(polls < 10000 ? 20 : 1000));
    }
  }

  [[noreturn]] void abort_job(const char* what, const Tensor& tensor) {
    std::fprintf(stderr,
                 "dist: rank %d of %d: %s%s did not complete within %g s (BYTEGRAD_DIST_TIMEOUT): another rank died "
                 "or stopped making the same collective calls; aborting the job\n",
                 rank_, world_size_, what,
                 tensor.defined() ? concat(" of shape ", shape_str(tensor.shape())).c_str() : "",
                 options_.timeout_seconds);
    std::fflush(stderr);
    MPI_Abort(MPI_COMM_WORLD, 2);
    std::_Exit(2);  // MPI_Abort does not return; should it, the rank still ends
  }

  void divide_by_world(const Tensor& tensor) const {
    if (tensor.dtype() == kFloat32) {
      float* data = tensor.data<float>();
      for (int64_t i = 0; i < tensor.numel(); ++i) data[i] /= float(world_size_);
    } else {
      double* data = tensor.data<double>();
      for (int64_t i = 0; i < tensor.numel(); ++i) data[i] /= double(world_size_);
    }
  }

  MPI_Comm comm_;
  int rank_, world_size_;
  bool owns_mpi_;
  MpiOptions options_;
};

}  // namespace

std::unique_ptr<Communicator> mpi_communicator(const MpiOptions& options) {
  BYTEGRAD_CHECK(!g_alive, "dist mpi: a communicator is alive already (one per process)");
  BYTEGRAD_CHECK(options.timeout_seconds > 0, "dist mpi: the collective timeout must be positive, got ",
                 options.timeout_seconds, " s");
  int initialized = 0, finalized = 0;
  MPI_Initialized(&initialized);
  MPI_Finalized(&finalized);
  BYTEGRAD_CHECK(!finalized, "dist mpi: MPI was finalized already in this process and cannot start again");
  if (!initialized) {
    int provided = 0;
    check_mpi(MPI_Init_thread(nullptr, nullptr, MPI_THREAD_FUNNELED, &provided), "MPI_Init_thread");
  }
  MPI_Comm comm;
  check_mpi(MPI_Comm_dup(MPI_COMM_WORLD, &comm), "MPI_Comm_dup");
  check_mpi(MPI_Comm_set_errhandler(comm, MPI_ERRORS_RETURN), "MPI_Comm_set_errhandler");
  int rank = 0, world_size = 1;
  check_mpi(MPI_Comm_rank(comm, &rank), "MPI_Comm_rank");
  check_mpi(MPI_Comm_size(comm, &world_size), "MPI_Comm_size");
  g_alive = true;
  return std::make_unique<Communicator>(
      rank, world_size, std::make_unique<MpiCollectives>(comm, rank, world_size, !initialized, options));
}

}  // namespace bytegrad::dist
