// StepThreads: the first blocks try both choices, the faster one is kept, the slower one is
// probed once every kProbeEvery blocks, and a change in the step times changes the choice.
#include <doctest/doctest.h>

#include "infer/step_threads.h"

namespace bytegrad::infer {
namespace {

// Runs `blocks` blocks of steps that take `shared` or `serial` seconds depending on the choice,
// and returns how many steps shared.
int64_t shared_steps(StepThreads& threads, int64_t blocks, double shared, double serial) {
  int64_t count = 0;
  for (int64_t step = 0; step < blocks * StepThreads::kBlock; ++step) {
    const bool share = threads.share_next();
    count += share;
    threads.record(share ? shared : serial);
  }
  return count;
}

TEST_CASE("step threads: without helpers every step is serial") {
  StepThreads threads(false);
  CHECK(shared_steps(threads, 20, 1e-3, 2e-3) == 0);
}

TEST_CASE("step threads: the faster choice runs all but the probing blocks") {
  const int64_t blocks = 2 + 10 * StepThreads::kProbeEvery;
  const int64_t probes = 10;  // one block in kProbeEvery after the first two

  StepThreads sharing_pays(true);
  const int64_t shared = shared_steps(sharing_pays, blocks, 1e-3, 2e-3);
  CHECK(shared == (blocks - probes - 1) * StepThreads::kBlock);  // all but serial's first block and probes

  StepThreads sharing_costs(true);
  CHECK(shared_steps(sharing_costs, blocks, 3e-3, 2e-3) == (probes + 1) * StepThreads::kBlock);
}

TEST_CASE("step threads: a machine that gets busy turns sharing off") {
  StepThreads threads(true);
  shared_steps(threads, 4 * StepThreads::kProbeEvery, 1e-3, 2e-3);  // idle: sharing ahead
  CHECK(threads.share_next());
  shared_steps(threads, 4 * StepThreads::kProbeEvery, 5e-3, 2e-3);  // busy: helpers stall
  CHECK_FALSE(threads.share_next());
}

}  // namespace
}  // namespace bytegrad::infer
