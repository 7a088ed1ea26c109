// Learning-rate schedules: warmup, then cosine, linear or no decay to the floor.
#include "tests/test_util.h"
#include "train/schedule.h"

namespace bytegrad::train {

TEST_CASE("warmup ramps linearly to the peak") {
  const LearningRateSchedule s{.peak = 1.0, .floor = 0.1, .warmup_steps = 4, .total_steps = 14};
  CHECK(s.at(0) == doctest::Approx(0.25));
  CHECK(s.at(1) == doctest::Approx(0.5));
  CHECK(s.at(3) == doctest::Approx(1.0));
}

TEST_CASE("cosine decay passes the midpoint halfway and ends at the floor") {
  const LearningRateSchedule s{.peak = 1.0, .floor = 0.1, .warmup_steps = 4, .total_steps = 14};
  CHECK(s.at(4) == doctest::Approx(1.0));
  CHECK(s.at(9) == doctest::Approx(0.55));
  CHECK(s.at(14) == doctest::Approx(0.1));
  CHECK(s.at(100) == doctest::Approx(0.1));
}

TEST_CASE("linear decay falls evenly; constant stays at the peak") {
  LearningRateSchedule s{.peak = 1.0, .floor = 0.0, .warmup_steps = 0, .total_steps = 10, .shape = DecayShape::Linear};
  CHECK(s.at(0) == doctest::Approx(1.0));
  CHECK(s.at(5) == doctest::Approx(0.5));
  CHECK(s.at(10) == doctest::Approx(0.0));
  s.shape = DecayShape::Constant;
  CHECK(s.at(7) == doctest::Approx(1.0));
}

}  // namespace bytegrad::train
