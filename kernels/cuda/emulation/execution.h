// The emulated CUDA execution model: a kernel launch runs every block of the grid on the CPU, one
// fiber per CUDA thread (Boost.Context), and the block's barriers and warp intrinsics switch
// between those fibers. This header is the engine's interface; kernels see it through
// emulation.h (the CUDA keywords and intrinsics), never directly.
//
// How a block runs: its threads start in one of two orders (forward: thread 0 first; reverse:
// the last thread first; the order alternates by block index and launch), and each runs until it
// reaches a barrier or returns. When no thread can run, the scheduler releases every barrier that
// is complete (a __syncthreads that every live thread has reached; a warp operation that every
// lane of its mask has reached) and starts over in the same order. A thread never runs past a
// barrier early, so a kernel that forgets one reads what the other order of threads left behind:
// its answer changes with the order, and the tests see it. When no barrier can ever complete
// (threads wait at different __syncthreads, a warp mask names a lane that has exited), the launch
// throws an Error that says which threads wait where, instead of hanging as a GPU would.
//
// Blocks of large launches run in parallel on OpenMP threads, each block on one OS thread from
// start to end, so per-block state (static __shared__ variables) lives in thread_local storage,
// and atomics are real atomics (std::atomic_ref).
#pragma once

#include <vector_types.h>

#include <cstddef>
#include <cstdint>
#include <source_location>

namespace bytegrad::kernels::cuda::emulation {

// The shape of one launch, as `kernel<<<grid, block, dynamic_shared_bytes, stream>>>` takes it.
struct LaunchShape {
  dim3 grid;
  dim3 block;
  size_t dynamic_shared_bytes = 0;
  const void* stream = nullptr;  // a cudaStream_t; null is the default stream
};

// The code one CUDA thread runs: the kernel called with its own copy of the arguments.
using ThreadBody = void (*)(const void* context);

// Runs body(context) once for every thread of every block, synchronously. An invalid shape
// (no threads, more than 1024 per block, a dimension beyond CUDA's limits, an unknown stream)
// launches nothing and sets the runtime's last error to cudaErrorInvalidConfiguration (or
// cudaErrorInvalidResourceHandle), as a real launch does. A block that can never finish, and an
// exception escaping a kernel, throw Error.
void run_grid(const LaunchShape& shape, ThreadBody body, const void* context);

// The order in which a block's threads are started and resumed.
enum class ThreadOrder : uint8_t { Forward, Reverse };

// Fixes the order of every block (tests), or restores the default alternation (nullptr-like:
// pass `alternate = true`). The environment variable BYTEGRAD_EMULATED_THREAD_ORDER
// (forward, reverse) fixes it for a whole process.
void set_thread_order(ThreadOrder order);
void alternate_thread_order();

// What a warp-level intrinsic asks of its lanes. Every lane of `mask` must reach a warp
// operation of the same kind with the same mask before any of them continues.
enum class WarpOpKind : uint8_t { Sync, Shuffle, ShuffleUp, ShuffleDown, ShuffleXor, Ballot, Any, All };

struct WarpOp {
  WarpOpKind kind = WarpOpKind::Sync;
  unsigned mask = 0;
  uint64_t value = 0;  // the lane's operand (a shuffled value's bytes, or a predicate)
  int argument = 0;    // source lane, delta, or xor mask
  int width = 32;      // shuffles: the size of the lane groups, a power of two up to 32
};

// Called from inside a kernel: waits at the block barrier (__syncthreads) and returns the number
// of live threads whose `predicate` was nonzero (__syncthreads_count and friends).
int block_barrier(int predicate, const std::source_location& where);

// Called from inside a kernel: waits for the lanes of op.mask and returns this lane's result.
uint64_t warp_operation(const WarpOp& op, const std::source_location& where);

// The current block's dynamic shared memory (the launch's dynamic_shared_bytes, filled with 0xff
// bytes, NaN as float, at the start of each block so that reading it before writing shows).
void* dynamic_shared_memory();

}  // namespace bytegrad::kernels::cuda::emulation

// CUDA's built-in variables, per OS thread: the scheduler sets them before it resumes a fiber.
// (A kernel reads them as on a GPU; writing them is an error there and undefined here.)
extern thread_local uint3 threadIdx;
extern thread_local uint3 blockIdx;
extern thread_local dim3 blockDim;
extern thread_local dim3 gridDim;
