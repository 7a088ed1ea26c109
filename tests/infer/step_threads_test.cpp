// StepThreads: the first blocks try both choices, the faster one is kept, the slower one is
// probed less and less often while it keeps losing (a losing probe of sharing for one step
// only), and a change in the step times changes the choice.
#include <doctest/doctest.h>

#include <thread>

#include "infer/step_threads.h"

namespace bytegrad::infer {
namespace {

// Runs `steps` steps that take `shared` or `serial` seconds depending on the choice, and returns
// how many shared.
int64_t shared_steps(StepThreads& threads, int64_t steps, double shared, double serial) {
  int64_t count = 0;
  for (int64_t step = 0; step < steps; ++step) {
    const bool share = threads.share_next();
    count += share;
    threads.record(share ? shared : serial);
  }
  return count;
}

TEST_CASE("step threads: without helpers every step is serial") {
  StepThreads threads(false);
  CHECK(shared_steps(threads, 80, 1e-3, 2e-3) == 0);
}

TEST_CASE("step threads: the first block runs serial, the second shares") {
  StepThreads threads(true);
  CHECK(shared_steps(threads, StepThreads::kBlock, 1e-3, 2e-3) == 0);
  CHECK(shared_steps(threads, StepThreads::kBlock, 1e-3, 2e-3) == StepThreads::kBlock);
}

TEST_CASE("step threads: a losing choice is probed at doubling intervals") {
  // Probes after the first two blocks at block 2 + 8 - 1 = 9, then 16, 32, 64, 128, 256 blocks later.
  constexpr int64_t kBlock = StepThreads::kBlock;
  // Sharing that pays: serial runs block 0 and each probe, whole blocks.
  const int64_t blocks = 2 + 8 + 16 + 32 + 64 + 128 + 256 + 1;  // through the sixth probe
  StepThreads sharing_pays(true);
  CHECK(shared_steps(sharing_pays, blocks * kBlock, 1e-3, 2e-3) == (blocks - 1 - 6) * kBlock);
  // Sharing that costs four times serial (a busy machine): the trial and every probe end at their
  // first step, so the blocks before the sixth probe hold 4 + 1 + 4 x 7 + 1 + ... steps.
  StepThreads sharing_costs(true);
  const int64_t sixth_probe_step = kBlock * 505 - (kBlock - 1) * 6;  // block 1 and five probes are one step
  CHECK(shared_steps(sharing_costs, sixth_probe_step, 8e-3, 2e-3) == 1 + 5);
  CHECK(sharing_costs.share_next());  // the sixth probe
  CHECK(shared_steps(sharing_costs, 1, 8e-3, 2e-3) == 1);
  CHECK_FALSE(sharing_costs.share_next());  // ended at its first step
  CHECK(shared_steps(sharing_costs, kBlock * 200, 8e-3, 2e-3) == 0);  // the next is 256 blocks on
}

TEST_CASE("step threads: sharing must be ahead by the margin") {
  StepThreads threads(true);
  shared_steps(threads, 10 * StepThreads::kBlock, 1.97e-3, 2e-3);  // 1.5% faster: not enough
  CHECK_FALSE(threads.share_next());
}

TEST_CASE("step threads: shared steps that are mostly fast but sometimes wait a time slice lose") {
  // A busy machine: two of three shared steps take 1 ms, one waits 6 ms for a helper; serial
  // steps take 2 ms. Shared steps cost 2.7 ms on average, so serial must win.
  StepThreads threads(true);
  shared_steps(threads, 12 * StepThreads::kBlock, 1e-3, 2e-3);  // idle: sharing ahead
  REQUIRE(threads.share_next());
  for (int64_t step = 0; step < 12 * StepThreads::kBlock; ++step) {
    const bool share = threads.share_next();
    threads.record(share ? (step % 3 == 2 ? 6e-3 : 1e-3) : 2e-3);
  }
  CHECK_FALSE(threads.share_next());
}

TEST_CASE("step threads: a leader that loses one block of its own is probed again after one block") {
  StepThreads threads(true);
  shared_steps(threads, 12 * StepThreads::kBlock, 1e-3, 2e-3);  // sharing ahead
  REQUIRE(threads.share_next());
  // One shared block interrupted: 20 ms in its second step puts the block behind serial.
  for (int64_t step = 0; step < StepThreads::kBlock; ++step) threads.record(step == 1 ? 20e-3 : 1e-3);
  CHECK_FALSE(threads.share_next());
  CHECK(shared_steps(threads, StepThreads::kBlock, 1e-3, 2e-3) == 0);  // one serial block
  CHECK(threads.share_next());                                          // then sharing again
  shared_steps(threads, StepThreads::kBlock, 1e-3, 2e-3);               // and it wins the probe
  CHECK(shared_steps(threads, 7 * StepThreads::kBlock, 1e-3, 2e-3) == 7 * StepThreads::kBlock);  // to the next probe
}

TEST_CASE("step threads: a machine that gets busy turns sharing off, and idle again, on") {
  StepThreads threads(true);
  shared_steps(threads, 40 * StepThreads::kBlock, 1e-3, 2e-3);  // idle: sharing ahead
  CHECK(threads.share_next());
  shared_steps(threads, 40 * StepThreads::kBlock, 5e-3, 2e-3);  // busy: helpers stall
  CHECK_FALSE(threads.share_next());
  shared_steps(threads, 300 * StepThreads::kBlock, 1e-3, 2e-3);  // idle again: a probe finds sharing ahead
  CHECK(threads.share_next());
}

TEST_CASE("step threads: what one plan learned holds for the next of its shape, on its thread") {
  StepThreads& first = step_threads_for("test shape a", true);
  shared_steps(first, 3 * StepThreads::kBlock, 1e-3, 2e-3);  // past both trials: sharing ahead
  StepThreads& again = step_threads_for("test shape a", true);
  CHECK(&again == &first);
  CHECK(again.share_next());  // no serial trial block for the next plan
  CHECK_FALSE(step_threads_for("test shape b", true).share_next());  // another shape starts over
  const StepThreads* other_thread = nullptr;
  std::thread([&] { other_thread = &step_threads_for("test shape a", true); }).join();
  CHECK(other_thread != &first);
}

}  // namespace
}  // namespace bytegrad::infer
