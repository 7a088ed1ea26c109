// Whether decode steps share their products with helper threads (kernels/cpu/gemv.h), chosen
// from what each choice has measured. On an idle machine the helpers pay; on one whose other
// cores are busy a helper the OS has not scheduled yet holds up the product it claimed a chunk
// of, and two threads decode slower than one. Neither a fixed thread count nor OpenMP's wait
// policy holds up in both cases, so the steps themselves are timed:
//   - steps run in blocks of kBlock; a block's time per step is the mean of its steps after the
//     first, which pays for waking sleeping helpers. The mean, not the median: on a busy machine
//     most shared steps can be fast and a few wait a time slice for a helper, and it is the mean
//     that says what they cost;
//   - the first block runs serial, the second shares; after that the choice that is ahead runs
//     (sharing only when it is at least 5% faster) and the other is probed for one block now and
//     then, so that a change in the machine's load is noticed;
//   - a probe that loses doubles the wait before the next one (from kProbeEvery blocks up to
//     kMaxProbeEvery), so a choice that keeps losing costs a vanishing share of the steps; a
//     probe that wins resets it; a leader that loses the lead in a block of its own is probed
//     again after one block (one interrupted block on an idle machine costs one block, not eight);
//   - a trial or probe of sharing ends at its first step slower than kAbandon times serial's
//     estimate: on a busy machine such a step waited for a helper's time slice (milliseconds), and
//     finishing the block would wait for several more;
//   - the leader's estimate is the mean of its latest block and its previous estimate; a probe's
//     block replaces its choice's estimate, which dates from the previous probe.
//
// What sharing costs is a property of the machine and of the step's size, not of one plan, so
// the choice is kept per thread and step shape (step_threads_for): a second generate call in a
// process (a chat turn, the next prompt, a benchmark's next repeat) starts from what the first
// learned instead of paying for both trials again.
#pragma once

#include <cstdint>
#include <string>

namespace bytegrad::infer {

class StepThreads {
 public:
  static constexpr int64_t kBlock = 4;
  static constexpr int64_t kProbeEvery = 8;
  static constexpr int64_t kMaxProbeEvery = 256;
  static constexpr double kMargin = 0.95;   // sharing is ahead when at most this share of serial's time
  static constexpr double kAbandon = 2.0;   // a sharing trial's step this many times serial's ends it

  // `helpers`: whether there are helper threads at all (sharing_threads() > 1); without them
  // every step is serial.
  explicit StepThreads(bool helpers) : helpers_(helpers) {}

  // Whether the next step should share its products.
  bool share_next() const { return helpers_ && block_shares_; }
  // The time the step just run took, in seconds.
  void record(double seconds);

 private:
  bool shared_ahead() const { return estimate_[1] < kMargin * estimate_[0]; }
  bool probing() const { return block_ >= 2 && block_ == next_probe_; }
  // Whether the current block tries sharing while serial leads (or sharing is still unmeasured).
  bool trying_sharing() const { return block_shares_ && measured_[0] && (!measured_[1] || !shared_ahead()); }
  void finish_block(double per_step);  // updates the estimates and the probes, starts the next block
  bool choose_sharing() const;         // the choice for block_

  bool helpers_;
  int64_t block_ = 0;                     // the current block's index
  int64_t step_in_block_ = 0;             // steps of it recorded
  double block_seconds_ = 0;              // its steps' time after its first
  bool block_shares_ = false;             // block 0 runs serial
  double estimate_[2] = {0, 0};           // seconds per step: [0] serial, [1] shared
  bool measured_[2] = {false, false};
  int64_t probe_every_ = kProbeEvery;  // blocks between probes
  int64_t next_probe_ = 1 + kProbeEvery;
};

// The StepThreads of this thread's steps of one `shape` (a key naming the step's size: a model's
// dimensions and weight format), made with `helpers` on first use and kept for the thread's life.
StepThreads& step_threads_for(const std::string& shape, bool helpers);

}  // namespace bytegrad::infer
