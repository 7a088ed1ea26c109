// Learning-rate schedules: a linear warmup to the peak rate, then a decay to a floor.
#pragma once

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <numbers>

namespace bytegrad::train {

enum class DecayShape { Cosine, Linear, Constant };

struct LearningRateSchedule {
  double peak = 1e-3;        // the rate at the end of warmup
  double floor = 0.0;        // the rate from total_steps on
  int64_t warmup_steps = 0;  // steps 0 .. warmup_steps-1 ramp linearly up to the peak
  int64_t total_steps = 1;   // the decay ends here
  DecayShape shape = DecayShape::Cosine;

  // The rate for (0-based) `step`. Warmup gives peak * (step + 1) / warmup_steps, so the first
  // step already moves; after it the rate falls from peak to floor by the decay's shape
  // (cosine: floor + (peak - floor) * (1 + cos(pi * progress)) / 2).
  double at(int64_t step) const {
    if (step < warmup_steps) return peak * double(step + 1) / double(warmup_steps);
    const int64_t decay_steps = std::max<int64_t>(1, total_steps - warmup_steps);
    const double progress = std::clamp(double(step - warmup_steps) / double(decay_steps), 0.0, 1.0);
    switch (shape) {
      case DecayShape::Cosine: return floor + (peak - floor) * 0.5 * (1.0 + std::cos(std::numbers::pi * progress));
      case DecayShape::Linear: return floor + (peak - floor) * (1.0 - progress);
      case DecayShape::Constant: return peak;
    }
    return peak;
  }
};

}  // namespace bytegrad::train
