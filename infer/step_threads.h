// Whether decode steps share their products with helper threads (kernels/cpu/gemv.h), chosen
// from what each choice has measured. On an idle machine the helpers pay; on one whose other
// cores are busy a helper the OS has not scheduled yet holds up the product it claimed a chunk
// of, and two threads decode slower than one. Neither a fixed thread count nor OpenMP's wait
// policy holds up in both cases, so the steps themselves are timed:
//   - steps run in blocks of kBlock; a block's time per step leaves out its first step, which
//     pays for waking sleeping helpers;
//   - the first two blocks try sharing, then serial; after that, every kProbeEvery-th block
//     tries the choice that is behind and the others run the one that is ahead (sharing only
//     when it is at least 5% faster), so a change in
//     the machine's load is noticed within kProbeEvery blocks and probing costs 1/kProbeEvery of
//     the steps at most;
//   - each choice's estimate is the mean of its latest block and its previous estimate.
#pragma once

#include <cstdint>

namespace bytegrad::infer {

class StepThreads {
 public:
  static constexpr int64_t kBlock = 4;
  static constexpr int64_t kProbeEvery = 8;
  static constexpr double kMargin = 0.95;  // sharing is ahead when at most this share of serial's time

  // `helpers`: whether there are helper threads at all (sharing_threads() > 1); without them
  // every step is serial.
  explicit StepThreads(bool helpers) : helpers_(helpers) {}

  // Whether the next step should share its products.
  bool share_next() const;
  // The time the step just run took, in seconds.
  void record(double seconds);

 private:
  bool helpers_;
  int64_t steps_ = 0;            // steps recorded
  double block_seconds_ = 0;     // the current block's steps after its first
  double estimate_[2] = {0, 0};  // seconds per step: [0] serial, [1] shared
  bool measured_[2] = {false, false};
};

}  // namespace bytegrad::infer
