// StepThreads: the first blocks try both choices, the faster one is kept, the slower one is
// probed less and less often while it keeps losing, and a change in the step times changes the
// choice.
#include <doctest/doctest.h>

#include "infer/step_threads.h"

namespace bytegrad::infer {
namespace {

// Runs `blocks` blocks of steps that take `shared` or `serial` seconds depending on the choice,
// and returns how many blocks shared.
int64_t shared_blocks(StepThreads& threads, int64_t blocks, double shared, double serial) {
  int64_t count = 0;
  for (int64_t step = 0; step < blocks * StepThreads::kBlock; ++step) {
    const bool share = threads.share_next();
    count += share && step % StepThreads::kBlock == 0;
    threads.record(share ? shared : serial);
  }
  return count;
}

TEST_CASE("step threads: without helpers every step is serial") {
  StepThreads threads(false);
  CHECK(shared_blocks(threads, 20, 1e-3, 2e-3) == 0);
}

TEST_CASE("step threads: a losing choice is probed at doubling intervals") {
  // Probes after the first two blocks at 2 + 8, then 16, 32, 64, 128, 256, 256 ... blocks later.
  const int64_t blocks = 2 + 8 + 16 + 32 + 64 + 128 + 256 + 1;  // through the sixth probe
  StepThreads sharing_costs(true);
  CHECK(shared_blocks(sharing_costs, blocks, 8e-3, 2e-3) == 1 + 6);  // the first block and six probes
  StepThreads sharing_pays(true);
  CHECK(shared_blocks(sharing_pays, blocks, 1e-3, 2e-3) == blocks - 1 - 6);  // serial: block 1 and six probes
}

TEST_CASE("step threads: sharing must be ahead by the margin") {
  StepThreads threads(true);
  shared_blocks(threads, 10, 1.97e-3, 2e-3);  // 1.5% faster: not enough
  CHECK_FALSE(threads.share_next());
}

TEST_CASE("step threads: one interrupted step in a block does not change the choice") {
  StepThreads threads(true);
  shared_blocks(threads, 12, 1e-3, 2e-3);  // sharing ahead
  REQUIRE(threads.share_next());
  // A shared block whose last step waited 20 ms (a time slice of another process): a mean would
  // put the block at 7.7 ms a step, behind serial; the median keeps it at 1 ms.
  for (int64_t step = 0; step < StepThreads::kBlock; ++step) {
    REQUIRE(threads.share_next());
    threads.record(step == StepThreads::kBlock - 1 ? 20e-3 : 1e-3);
  }
  CHECK(threads.share_next());
  // Two slow steps of three are a slow block: the choice follows them.
  for (int64_t step = 0; step < StepThreads::kBlock; ++step) threads.record(step >= 2 ? 20e-3 : 1e-3);
  CHECK_FALSE(threads.share_next());
}

TEST_CASE("step threads: a machine that gets busy turns sharing off, and idle again, on") {
  StepThreads threads(true);
  shared_blocks(threads, 40, 1e-3, 2e-3);  // idle: sharing ahead
  CHECK(threads.share_next());
  shared_blocks(threads, 40, 5e-3, 2e-3);  // busy: helpers stall
  CHECK_FALSE(threads.share_next());
  shared_blocks(threads, 300, 1e-3, 2e-3);  // idle again: a probe finds sharing ahead
  CHECK(threads.share_next());
}

}  // namespace
}  // namespace bytegrad::infer
