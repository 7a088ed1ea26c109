// The fiber scheduler behind emulated kernel launches (see execution.h for the model).
#include <boost/context/fiber.hpp>
#include <omp.h>

#include <algorithm>
#include <atomic>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <exception>
#include <map>
#include <memory>
#include <string>
#include <vector>

#if defined(__SANITIZE_ADDRESS__)
#include <sanitizer/common_interface_defs.h>
#endif

#include "base/error.h"
#include "kernels/cuda/emulation/execution.h"
#include "kernels/cuda/emulation/fiber_stacks.h"
#include "kernels/cuda/emulation/runtime.h"

thread_local uint3 threadIdx;
thread_local uint3 blockIdx;
thread_local dim3 blockDim;
thread_local dim3 gridDim;

namespace bytegrad::kernels::cuda::emulation {
namespace {

namespace context = boost::context;

// AddressSanitizer must be told when execution moves to another stack, or it takes the fiber's
// frames for overflows of the scheduler's stack. Boost.Context annotates only its ucontext
// variant, which Debian's library is not built with, so the switches here say it themselves:
// start() just before a jump (with the stack being entered), finish() just after arriving.
#if defined(__SANITIZE_ADDRESS__)
void start_stack_switch(void** fake_stack, const void* bottom, size_t size) {
  __sanitizer_start_switch_fiber(fake_stack, bottom, size);
}
void finish_stack_switch(void* fake_stack, const void** bottom, size_t* size) {
  __sanitizer_finish_switch_fiber(fake_stack, bottom, size);
}
#else
void start_stack_switch(void**, const void*, size_t) {}
void finish_stack_switch(void*, const void**, size_t*) {}
#endif

constexpr unsigned kWarpSize = 32;

enum class Wait : uint8_t { None, BlockBarrier, WarpOperation, Exited };

// One CUDA thread of the running block.
struct ThreadSlot {
  context::fiber fiber;      // the thread itself, suspended at a barrier (empty once it returns)
  context::fiber scheduler;  // where the thread goes when it waits
  FiberStack stack;          // the fiber's stack (for AddressSanitizer's bookkeeping)
  uint3 index{};
  Wait wait = Wait::None;
  std::source_location where;  // the barrier it waits at
  WarpOp op;
  int predicate = 0;
  uint64_t result = 0;
};

// The block this OS thread is running, and which of its threads is on the CPU.
struct BlockRun {
  std::vector<ThreadSlot> threads;
  ThreadBody body = nullptr;
  const void* context = nullptr;
  std::unique_ptr<std::byte[]> shared;  // dynamic shared memory, exactly the launch's size
  std::exception_ptr error;             // the first exception a thread let escape
  const void* scheduler_stack = nullptr;  // the scheduler's stack (for AddressSanitizer)
  size_t scheduler_stack_size = 0;
};

thread_local BlockRun* t_block = nullptr;
thread_local size_t t_thread = 0;

std::atomic<uint64_t> g_launches{0};
// -1: alternate by block and launch; otherwise a fixed ThreadOrder.
std::atomic<int> g_fixed_order{[] {
  const char* text = std::getenv("BYTEGRAD_EMULATED_THREAD_ORDER");
  if (text && std::string(text) == "forward") return int(ThreadOrder::Forward);
  if (text && std::string(text) == "reverse") return int(ThreadOrder::Reverse);
  return -1;
}()};

std::string describe(const uint3& v) { return concat('(', v.x, ',', v.y, ',', v.z, ')'); }
std::string describe(const std::source_location& where) {
  return concat(where.file_name(), ':', where.line());
}
std::string hex(unsigned mask) {
  char text[16];
  std::snprintf(text, sizeof text, "0x%08x", mask);
  return text;
}

const char* op_name(WarpOpKind kind) {
  switch (kind) {
    case WarpOpKind::Sync: return "__syncwarp";
    case WarpOpKind::Shuffle: return "__shfl_sync";
    case WarpOpKind::ShuffleUp: return "__shfl_up_sync";
    case WarpOpKind::ShuffleDown: return "__shfl_down_sync";
    case WarpOpKind::ShuffleXor: return "__shfl_xor_sync";
    case WarpOpKind::Ballot: return "__ballot_sync";
    case WarpOpKind::Any: return "__any_sync";
    case WarpOpKind::All: return "__all_sync";
  }
  return "warp operation";
}

// Brackets a jump from a fiber to the scheduler: the finish runs on return and on unwinding
// alike (a block abandoned after an error unwinds its waiting threads from here).
struct SwitchToScheduler {
  void* fake_stack = nullptr;
  explicit SwitchToScheduler(const BlockRun& run) {
    start_stack_switch(&fake_stack, run.scheduler_stack, run.scheduler_stack_size);
  }
  ~SwitchToScheduler() { finish_stack_switch(fake_stack, nullptr, nullptr); }
};

// Suspends the calling CUDA thread until the scheduler resumes it.
void suspend_current_thread() {
  ThreadSlot& self = t_block->threads[t_thread];
  SwitchToScheduler annotation(*t_block);
  self.scheduler = std::move(self.scheduler).resume();
}

// Runs `jump` (which enters the thread's fiber and comes back) with the switch annotated.
template <typename Jump> void enter_thread(ThreadSlot& slot, Jump&& jump) {
  void* fake_stack = nullptr;
  start_stack_switch(&fake_stack, static_cast<char*>(slot.stack.top) - slot.stack.size, slot.stack.size);
  jump();
  finish_stack_switch(fake_stack, nullptr, nullptr);
}

ThreadSlot& current_thread(const char* what) {
  if (!t_block) throw Error(concat(what, " called outside an emulated CUDA kernel"));
  return t_block->threads[t_thread];
}

// The source lane a shuffle reads for `lane` (lane numbers within the warp), per the CUDA
// programming guide: lanes form groups of `width`; reads outside the group return the lane's own
// value, except that __shfl_sync wraps its source lane modulo the width.
unsigned shuffle_source(const WarpOp& op, unsigned lane) {
  const unsigned width = unsigned(op.width), base = lane / width * width;
  switch (op.kind) {
    case WarpOpKind::Shuffle: return base + unsigned(((op.argument % int(width)) + int(width)) % int(width));
    case WarpOpKind::ShuffleUp: {
      const int source = int(lane) - op.argument;
      return source < int(base) ? lane : unsigned(source);
    }
    case WarpOpKind::ShuffleDown: {
      const unsigned source = lane + unsigned(op.argument);
      return source >= base + width ? lane : source;
    }
    case WarpOpKind::ShuffleXor: {
      const unsigned source = lane ^ unsigned(op.argument);
      return source >= base + width ? lane : source;
    }
    default: return lane;
  }
}

class BlockScheduler {
 public:
  BlockScheduler(BlockRun& run, ThreadOrder order, const LaunchShape& shape)
      : run_(run), order_(order), shape_(shape) {}

  // Runs the block to its end; throws Error when it can never get there.
  void run() {
    for (;;) {
      resume_ready_threads();
      if (run_.error) std::rethrow_exception(run_.error);
      if (live_threads() == 0) return;
      if (!release_complete_barriers()) throw Error(deadlock_message());
    }
  }

 private:
  size_t thread_at(size_t step) const {
    return order_ == ThreadOrder::Forward ? step : run_.threads.size() - 1 - step;
  }

  void resume_ready_threads() {
    for (size_t step = 0; step < run_.threads.size(); ++step) {
      const size_t i = thread_at(step);
      ThreadSlot& slot = run_.threads[i];
      if (slot.wait != Wait::None) continue;
      threadIdx = slot.index;
      t_thread = i;
      enter_thread(slot, [&] { slot.fiber = std::move(slot.fiber).resume(); });
      if (run_.error) return;
    }
  }

  size_t live_threads() const {
    return size_t(std::count_if(run_.threads.begin(), run_.threads.end(),
                                [](const ThreadSlot& t) { return t.wait != Wait::Exited; }));
  }

  // Releases every complete barrier; false when none is (the block is stuck).
  bool release_complete_barriers() {
    bool released = release_warp_operations();
    if (released) return true;
    // A __syncthreads completes when every live thread waits at it (exited threads do not count).
    const ThreadSlot* first = nullptr;
    for (const ThreadSlot& t : run_.threads) {
      if (t.wait == Wait::Exited) continue;
      if (t.wait != Wait::BlockBarrier) return false;
      if (!first) first = &t;
      if (t.where.line() != first->where.line() ||
          std::strcmp(t.where.file_name(), first->where.file_name()) != 0)
        return false;  // threads at different __syncthreads: reported as a deadlock
    }
    int count = 0;
    for (const ThreadSlot& t : run_.threads) count += t.wait == Wait::BlockBarrier && t.predicate;
    for (ThreadSlot& t : run_.threads) {
      if (t.wait != Wait::BlockBarrier) continue;
      t.result = uint64_t(count);
      t.wait = Wait::None;
    }
    return true;
  }

  // Completes each warp operation whose mask's lanes have all arrived at it with that mask.
  bool release_warp_operations() {
    bool released = false;
    const size_t threads = run_.threads.size();
    for (size_t warp_base = 0; warp_base < threads; warp_base += kWarpSize) {
      for (unsigned lane = 0; lane < kWarpSize && warp_base + lane < threads; ++lane) {
        const ThreadSlot& t = run_.threads[warp_base + lane];
        if (t.wait != Wait::WarpOperation) continue;
        check_mask(warp_base, lane);
        if (group_arrived(warp_base, t.op)) {
          complete_group(warp_base, t.op);
          released = true;
        }
      }
    }
    return released;
  }

  // A mask that can never be satisfied is an error at once: it must name the calling lane and
  // only lanes that exist and have not returned.
  void check_mask(size_t warp_base, unsigned lane) const {
    const ThreadSlot& t = run_.threads[warp_base + lane];
    const unsigned mask = t.op.mask;
    const std::string who = concat(op_name(t.op.kind), " at ", describe(t.where), " in thread ",
                                   describe(t.index), " (lane ", lane, ") with mask ", hex(mask));
    if (!(mask >> lane & 1u)) throw Error(concat(who, ": the mask does not include the calling lane"));
    for (unsigned other = 0; other < kWarpSize; ++other) {
      if (!(mask >> other & 1u)) continue;
      if (warp_base + other >= run_.threads.size())
        throw Error(concat(who, ": lane ", other, " does not exist in a block of ",
                           run_.threads.size(), " threads"));
      if (run_.threads[warp_base + other].wait == Wait::Exited)
        throw Error(concat(who, ": lane ", other, " has already returned, so the operation can never complete"));
    }
    if (t.op.kind != WarpOpKind::Sync && t.op.kind != WarpOpKind::Ballot &&
        t.op.kind != WarpOpKind::Any && t.op.kind != WarpOpKind::All) {
      const int width = t.op.width;
      if (width < 1 || width > int(kWarpSize) || (width & (width - 1)) != 0)
        throw Error(concat(who, ": width ", width, " is not a power of two from 1 to 32"));
    }
  }

  bool group_arrived(size_t warp_base, const WarpOp& op) const {
    for (unsigned lane = 0; lane < kWarpSize; ++lane) {
      if (!(op.mask >> lane & 1u)) continue;
      const ThreadSlot& t = run_.threads[warp_base + lane];
      if (t.wait != Wait::WarpOperation || t.op.mask != op.mask || t.op.kind != op.kind) return false;
    }
    return true;
  }

  void complete_group(size_t warp_base, WarpOp op) {
    uint64_t values[kWarpSize] = {};
    unsigned ballot = 0;
    for (unsigned lane = 0; lane < kWarpSize; ++lane) {
      if (!(op.mask >> lane & 1u)) continue;
      values[lane] = run_.threads[warp_base + lane].op.value;
      if (values[lane] != 0) ballot |= 1u << lane;
    }
    for (unsigned lane = 0; lane < kWarpSize; ++lane) {
      if (!(op.mask >> lane & 1u)) continue;
      ThreadSlot& t = run_.threads[warp_base + lane];
      switch (op.kind) {
        case WarpOpKind::Sync: t.result = 0; break;
        case WarpOpKind::Ballot: t.result = ballot; break;
        case WarpOpKind::Any: t.result = ballot != 0; break;
        case WarpOpKind::All: t.result = ballot == op.mask; break;
        default: {
          const unsigned source = shuffle_source(t.op, lane);
          if (!(op.mask >> source & 1u))
            throw Error(concat(op_name(op.kind), " at ", describe(t.where), " in thread ",
                               describe(t.index), " (lane ", lane, ") reads lane ", source,
                               ", which is not in the mask ", hex(op.mask)));
          t.result = values[source];
        }
      }
      t.wait = Wait::None;
    }
  }

  // Every live thread waits and no barrier can complete: say who waits where.
  std::string deadlock_message() const {
    std::map<std::string, std::vector<std::string>> waits;  // barrier -> threads waiting there
    for (const ThreadSlot& t : run_.threads) {
      if (t.wait == Wait::Exited) continue;
      const std::string barrier =
          t.wait == Wait::BlockBarrier
              ? concat("__syncthreads at ", describe(t.where))
              : concat(op_name(t.op.kind), " with mask ", hex(t.op.mask), " at ", describe(t.where));
      waits[barrier].push_back(describe(t.index));
    }
    std::string message = concat("block ", describe(blockIdx), " of an emulated kernel launch (grid ",
                                 describe(shape_.grid), ", block ", describe(shape_.block),
                                 ") can never finish: its threads wait at barriers that cannot complete");
    for (const auto& [barrier, threads] : waits) {
      message += concat("; ", threads.size(), threads.size() == 1 ? " thread" : " threads", " at ",
                        barrier, " (", threads.front(), threads.size() > 1 ? ", ..." : "", ")");
    }
    const size_t exited = run_.threads.size() - live_threads();
    if (exited > 0) message += concat("; ", exited, " thread(s) have returned");
    return message;
  }

  BlockRun& run_;
  ThreadOrder order_;
  const LaunchShape& shape_;
};

// Boost.Context's stack allocator interface over this OS thread's pool of fiber stacks; records
// the stack it hands out in `taken`.
struct PooledStack {
  FiberStackPool* pool;
  FiberStack* taken;
  context::stack_context allocate() {
    const FiberStack stack = pool->take();
    *taken = stack;
    context::stack_context result;
    result.size = stack.size;
    result.sp = stack.top;
    return result;
  }
  void deallocate(context::stack_context& stack) noexcept { pool->give_back(FiberStack{stack.sp, stack.size}); }
};

// The code each fiber starts with: the kernel, then the thread is marked as returned.
context::fiber start_thread(BlockRun& run, size_t i, context::fiber&& scheduler) {
  finish_stack_switch(nullptr, &run.scheduler_stack, &run.scheduler_stack_size);
  ThreadSlot& self = run.threads[i];
  self.scheduler = std::move(scheduler);
  try {
    run.body(run.context);
  } catch (const context::detail::forced_unwind&) {
    start_stack_switch(nullptr, run.scheduler_stack, run.scheduler_stack_size);
    throw;  // the block was abandoned: let Boost unwind this stack
  } catch (...) {
    if (!run.error) run.error = std::current_exception();
  }
  self.wait = Wait::Exited;
  start_stack_switch(nullptr, run.scheduler_stack, run.scheduler_stack_size);  // leaving for good
  return std::move(self.scheduler);
}

void run_block(BlockRun& run, const LaunchShape& shape, ThreadOrder order, FiberStackPool& stacks) {
  const size_t count = size_t(shape.block.x) * shape.block.y * shape.block.z;
  run.threads.clear();
  run.threads.resize(count);
  run.error = nullptr;
  if (shape.dynamic_shared_bytes > 0) {
    std::memset(run.shared.get(), 0xff, shape.dynamic_shared_bytes);
  }
  for (size_t i = 0; i < count; ++i) {
    ThreadSlot& slot = run.threads[i];
    slot.index = uint3{unsigned(i % shape.block.x), unsigned(i / shape.block.x % shape.block.y),
                       unsigned(i / (size_t(shape.block.x) * shape.block.y))};
    slot.fiber = context::fiber(std::allocator_arg, PooledStack{&stacks, &slot.stack},
                                [&run, i](context::fiber&& scheduler) {
                                  return start_thread(run, i, std::move(scheduler));
                                });
  }
  BlockRun* const outer = t_block;
  t_block = &run;
  try {
    BlockScheduler(run, order, shape).run();
  } catch (...) {
    // Destroying a suspended fiber unwinds its stack (Boost enters it to throw forced_unwind).
    for (ThreadSlot& slot : run.threads)
      if (slot.fiber) enter_thread(slot, [&] { slot.fiber = context::fiber(); });
    run.threads.clear();
    t_block = outer;
    throw;
  }
  t_block = outer;
}

// CUDA's limits on a launch's shape (compute capability 9.0).
std::string shape_problem(const LaunchShape& shape) {
  const dim3& g = shape.grid;
  const dim3& b = shape.block;
  const uint64_t threads = uint64_t(b.x) * b.y * b.z;
  if (g.x == 0 || g.y == 0 || g.z == 0 || threads == 0) return "a dimension is 0";
  if (threads > 1024) return concat(threads, " threads per block (at most 1024)");
  if (b.x > 1024 || b.y > 1024 || b.z > 64) return "block dimensions above (1024, 1024, 64)";
  if (g.y > 65535 || g.z > 65535 || g.x > 2147483647u) return "grid dimensions above (2^31 - 1, 65535, 65535)";
  if (shape.dynamic_shared_bytes > 227 * 1024) return "more than 227 KiB of dynamic shared memory";
  return "";
}

}  // namespace

void set_thread_order(ThreadOrder order) { g_fixed_order = int(order); }
void alternate_thread_order() { g_fixed_order = -1; }

void run_grid(const LaunchShape& shape, ThreadBody body, const void* context) {
  if (const std::string problem = shape_problem(shape); !problem.empty()) {
    set_last_error(cudaErrorInvalidConfiguration,
                   concat("kernel launch with grid ", describe(uint3(shape.grid)), " and block ",
                          describe(uint3(shape.block)), ": ", problem));
    return;
  }
  if (!is_valid_stream(shape.stream)) {
    set_last_error(cudaErrorInvalidResourceHandle,
                   "kernel launch on a stream that was never created or has been destroyed");
    return;
  }
  const uint64_t launch = g_launches.fetch_add(1, std::memory_order_relaxed);
  const int fixed_order = g_fixed_order.load(std::memory_order_relaxed);
  const int64_t blocks = int64_t(shape.grid.x) * shape.grid.y * shape.grid.z;
  std::exception_ptr error;
  std::atomic<bool> failed{false};

  auto run_blocks = [&](int64_t begin, int64_t end, int64_t step) {
    FiberStackPool& stacks = FiberStackPool::for_this_thread();
    BlockRun run;
    run.body = body;
    run.context = context;
    if (shape.dynamic_shared_bytes > 0)
      run.shared.reset(new std::byte[shape.dynamic_shared_bytes]);  // 16-byte aligned
    const dim3 saved_block_dim = blockDim, saved_grid_dim = gridDim;
    const uint3 saved_block_idx = blockIdx, saved_thread_idx = threadIdx;
    blockDim = shape.block;
    gridDim = shape.grid;
    for (int64_t b = begin; b < end && !failed.load(std::memory_order_relaxed); b += step) {
      blockIdx = uint3{unsigned(b % shape.grid.x), unsigned(b / shape.grid.x % shape.grid.y),
                       unsigned(b / (int64_t(shape.grid.x) * shape.grid.y))};
      const ThreadOrder order = fixed_order >= 0 ? ThreadOrder(fixed_order)
                                : (uint64_t(b) + launch) % 2 == 0 ? ThreadOrder::Forward
                                                                  : ThreadOrder::Reverse;
      try {
        run_block(run, shape, order, stacks);
      } catch (...) {
#pragma omp critical(bytegrad_emulated_launch_error)
        if (!error) error = std::current_exception();
        failed = true;
      }
    }
    blockDim = saved_block_dim;
    gridDim = saved_grid_dim;
    blockIdx = saved_block_idx;
    threadIdx = saved_thread_idx;
  };

  // A CUDA thread costs tens of nanoseconds to emulate; below this many, waking the OpenMP team
  // costs more than it saves (and far more on a busy machine).
  constexpr uint64_t kParallelThreads = 1 << 15;
  const uint64_t threads = uint64_t(blocks) * shape.block.x * shape.block.y * shape.block.z;
  if (blocks == 1 || threads < kParallelThreads || omp_in_parallel() || omp_get_max_threads() == 1) {
    run_blocks(0, blocks, 1);
  } else {
#pragma omp parallel
    run_blocks(omp_get_thread_num(), blocks, omp_get_num_threads());
  }
  if (error) std::rethrow_exception(error);
}

int block_barrier(int predicate, const std::source_location& where) {
  ThreadSlot& self = current_thread("__syncthreads");
  self.wait = Wait::BlockBarrier;
  self.where = where;
  self.predicate = predicate != 0;
  suspend_current_thread();
  return int(t_block->threads[t_thread].result);
}

uint64_t warp_operation(const WarpOp& op, const std::source_location& where) {
  ThreadSlot& self = current_thread(op_name(op.kind));
  self.wait = Wait::WarpOperation;
  self.where = where;
  self.op = op;
  suspend_current_thread();
  return t_block->threads[t_thread].result;
}

void* dynamic_shared_memory() {
  if (!t_block) throw Error("dynamic shared memory used outside an emulated CUDA kernel");
  return t_block->shared.get();
}

}  // namespace bytegrad::kernels::cuda::emulation
