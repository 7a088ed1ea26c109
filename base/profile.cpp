#include "base/profile.h"

#include <algorithm>
#include <chrono>
#include <cstdlib>
#include <mutex>
#include <unordered_map>

namespace bytegrad::profile {
namespace {

struct Totals {
  double seconds = 0.0;
  int64_t calls = 0;
};

struct State {
  bool enabled = std::getenv("BYTEGRAD_PROFILE") != nullptr;
  std::mutex mutex;
  std::unordered_map<std::string, Totals> totals;
};

State& state() {
  static State s;
  return s;
}

thread_local double last_mark = 0.0;

}  // namespace

bool enabled() { return state().enabled; }
void set_enabled(bool on) { state().enabled = on; }

double now() {
  return std::chrono::duration<double>(std::chrono::steady_clock::now().time_since_epoch()).count();
}

void add(const std::string& name, double seconds) {
  State& s = state();
  std::lock_guard lock(s.mutex);
  Totals& t = s.totals[name];
  t.seconds += seconds;
  ++t.calls;
}

std::vector<Entry> entries() {
  State& s = state();
  std::lock_guard lock(s.mutex);
  std::vector<Entry> result;
  for (const auto& [name, t] : s.totals) result.push_back({name, t.seconds, t.calls});
  std::sort(result.begin(), result.end(), [](const Entry& a, const Entry& b) { return a.seconds > b.seconds; });
  return result;
}

void reset() {
  State& s = state();
  std::lock_guard lock(s.mutex);
  s.totals.clear();
}

void mark() { last_mark = now(); }

double lap() {
  const double t = now();
  const double span = last_mark > 0.0 ? t - last_mark : 0.0;
  last_mark = t;
  return span;
}

}  // namespace bytegrad::profile
