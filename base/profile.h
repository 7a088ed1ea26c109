// A per-op time profile, off unless asked for: `BYTEGRAD_PROFILE=1` in the environment, or
// profile::set_enabled(true). The autograd layer reports each backward node's time under
// "backward <op>" and each recorded forward op under "forward <op>", so a training step can be
// read as a table of where its seconds go (`bytegrad bench train --profile`).
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace bytegrad::profile {

bool enabled();
void set_enabled(bool on);

// Adds `seconds` (one call) to the entry `name`.
void add(const std::string& name, double seconds);

// Seconds on a monotonic clock, for callers that time a span themselves.
double now();

struct Entry {
  std::string name;
  double seconds;
  int64_t calls;
};

// Entries, largest time first.
std::vector<Entry> entries();
void reset();

// Forward ops are timed from the end of the previous recorded op (or the last mark) to the end
// of their own: that span is the op's work plus any unrecorded work just before it (a mask
// built, a view taken). mark() starts such a span, e.g. at the start of a step.
void mark();
// Seconds since the last mark (or recorded op), and starts a new span.
double lap();

}  // namespace bytegrad::profile
