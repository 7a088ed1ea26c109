#include "kernels/cpu/gemv.h"

#include <immintrin.h>
#include <omp.h>

#include <Eigen/Core>
#include <algorithm>
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <mutex>
#include <thread>
#include <vector>

namespace bytegrad::kernels::cpu {
namespace {

// How long a helper keeps polling for the next job before it sleeps: longer than the other ops
// between two products of a decoded token, short enough not to hold a core for long.
constexpr auto kHelperSpin = std::chrono::microseconds(300);
// A ticket's chunk index once its job is finished: no chunk count reaches it.
constexpr uint64_t kClosed = 0xffffffffu;

// The helpers of run_shared_chunks (see gemv.h), started on first use.
class ChunkSharing {
 public:
  using Body = void (*)(const void* context, int64_t chunk);

  static ChunkSharing& instance() {
    static ChunkSharing sharing(std::max(omp_get_max_threads(), 1) - 1);
    return sharing;
  }

  int64_t threads() const { return int64_t(helpers_.size()) + 1; }

  // Whether run() called on this thread now would offer chunks to the helpers (a helper busy with
  // another caller's job aside).
  bool would_share() const { return !helpers_.empty() && !inside_chunk && !omp_in_parallel(); }

  // Runs body(context, c) for every c in [0, chunks), on this thread and any helper awake.
  // Serially when there are no helpers or another thread is using them.
  void run(int64_t chunks, Body body, const void* context) {
    if (!would_share()) {  // no helpers, or nested: run here
      for (int64_t c = 0; c < chunks; ++c) body(context, c);
      return;
    }
    std::unique_lock lock(mutex_, std::try_to_lock);
    if (!lock.owns_lock()) {  // another thread's job holds the helpers
      for (int64_t c = 0; c < chunks; ++c) body(context, c);
      return;
    }
    const uint64_t generation = (ticket_.load(std::memory_order_relaxed) >> 32) + 1;
    // Release stores: a thread that reads them also sees the previous job's ticket closed.
    body_.store(body, std::memory_order_release);
    context_.store(context, std::memory_order_release);
    chunks_.store(chunks, std::memory_order_release);
    done_.store(0, std::memory_order_relaxed);
    ticket_.store(generation << 32, std::memory_order_release);  // publishes the fields above
    wake_helpers();
    work(generation);
    while (done_.load(std::memory_order_acquire) < chunks) _mm_pause();  // chunks helpers hold
    // Closed before the fields change for the next job, so no thread can claim a chunk of this
    // generation with the next job's fields.
    ticket_.store((generation << 32) | kClosed, std::memory_order_seq_cst);
  }

  ~ChunkSharing() {
    stop_.store(true);
    wake_helpers();
    for (std::thread& helper : helpers_) helper.join();
  }

 private:
  explicit ChunkSharing(int helpers) {
    for (int i = 0; i < helpers; ++i) helpers_.emplace_back([this] { help(); });
  }

  // Claims and runs chunks of job `generation` until none are left. A claim is one atomic
  // ticket, (generation << 32) | next chunk, so a thread still holding an earlier job's fields
  // cannot claim a chunk of a later one.
  void work(uint64_t generation) {
    const Body body = body_.load(std::memory_order_acquire);
    const void* context = context_.load(std::memory_order_acquire);
    const int64_t chunks = chunks_.load(std::memory_order_acquire);
    uint64_t ticket = ticket_.load(std::memory_order_acquire);
    while ((ticket >> 32) == generation && int64_t(ticket & 0xffffffffu) < chunks) {
      if (!ticket_.compare_exchange_weak(ticket, ticket + 1, std::memory_order_acq_rel)) continue;
      inside_chunk = true;
      body(context, int64_t(ticket & 0xffffffffu));
      inside_chunk = false;
      done_.fetch_add(1, std::memory_order_release);
      ticket = ticket_.load(std::memory_order_acquire);
    }
  }

  // Bumps the signal; helpers polling see it, sleeping ones are woken. The signal changes under
  // the sleep mutex, so a helper checking it before sleeping cannot miss the change.
  void wake_helpers() {
    {
      std::lock_guard lock(sleep_mutex_);
      signal_.fetch_add(1, std::memory_order_release);
    }
    sleep_.notify_all();
  }

  void help() {
    uint32_t seen = signal_.load(std::memory_order_acquire);
    while (true) {
      const auto spin_until = std::chrono::steady_clock::now() + kHelperSpin;
      // A helper may start after the signal it should have seen (even the one to stop), so the
      // stop flag is checked wherever it waits.
      const auto idle = [&] { return signal_.load(std::memory_order_acquire) == seen && !stop_.load(); };
      for (int polls = 0; idle(); ++polls) {
        _mm_pause();
        if (polls % 64 == 0 && std::chrono::steady_clock::now() > spin_until) {
          std::unique_lock lock(sleep_mutex_);
          sleep_.wait(lock, [&] { return !idle(); });
          break;
        }
      }
      seen = signal_.load(std::memory_order_acquire);
      if (stop_.load()) return;
      const uint64_t ticket = ticket_.load(std::memory_order_acquire);
      work(ticket >> 32);
    }
  }

  static thread_local bool inside_chunk;  // a chunk's body that shares work runs it serially
  std::mutex mutex_;                      // one caller at a time owns the helpers
  std::atomic<uint64_t> ticket_{kClosed};
  std::atomic<Body> body_{nullptr};
  std::atomic<const void*> context_{nullptr};
  std::atomic<int64_t> chunks_{0};
  std::atomic<int64_t> done_{0};
  std::atomic<uint32_t> signal_{0};  // bumped for every job and to stop
  std::mutex sleep_mutex_;
  std::condition_variable sleep_;    // where helpers wait once they stop polling
  std::atomic<bool> stop_{false};
  std::vector<std::thread> helpers_;
};

template <typename T>
using RowMajorMap = Eigen::Map<const Eigen::Matrix<T, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>,
                               0, Eigen::OuterStride<>>;
template <typename T>
using Vector = Eigen::Matrix<T, Eigen::Dynamic, 1>;
template <typename T>
using StridedVector = Eigen::Map<const Vector<T>, 0, Eigen::InnerStride<>>;
template <typename T>
using StridedOutput = Eigen::Map<Vector<T>, 0, Eigen::InnerStride<>>;

thread_local bool ChunkSharing::inside_chunk = false;

thread_local bool serial_chunks = false;  // set by SerialScope

}  // namespace

int64_t sharing_threads() { return ChunkSharing::instance().threads(); }

bool chunks_shared_now() { return !serial_chunks && ChunkSharing::instance().would_share(); }

SerialScope::SerialScope(bool serial) : previous_(serial_chunks) { serial_chunks = serial_chunks || serial; }

SerialScope::~SerialScope() { serial_chunks = previous_; }

void run_shared_chunks(int64_t chunks, void (*body)(const void* context, int64_t chunk),
                       const void* context) {
  if (serial_chunks) {
    for (int64_t c = 0; c < chunks; ++c) body(context, c);
    return;
  }
  ChunkSharing::instance().run(chunks, body, context);
}

template <typename T>
void gemv_rows(const T* w, int64_t ldw, int64_t rows, int64_t cols, const T* x, int64_t incx,
               T* y, int64_t incy) {
  // A dense copy of x: every thread reads all of it, once per row.
  const Vector<T> dense_x = StridedVector<T>(x, cols, Eigen::InnerStride<>(incx));
  share_ranges(rows, rows * cols, [&](int64_t begin, int64_t end) {
    if (begin == end) return;
    const RowMajorMap<T> block(w + begin * ldw, end - begin, cols, Eigen::OuterStride<>(ldw));
    StridedOutput<T>(y + begin * incy, end - begin, Eigen::InnerStride<>(incy)).noalias() =
        block * dense_x;
  });
}

template <typename T>
void gemv_columns(const T* w, int64_t ldw, int64_t rows, int64_t cols, const T* x, int64_t incx,
                  T* y, int64_t incy) {
  const Vector<T> dense_x = StridedVector<T>(x, rows, Eigen::InnerStride<>(incx));
  share_ranges(cols, rows * cols, [&](int64_t begin, int64_t end) {
    if (begin == end) return;
    const RowMajorMap<T> block(w + begin, rows, end - begin, Eigen::OuterStride<>(ldw));
    StridedOutput<T>(y + begin * incy, end - begin, Eigen::InnerStride<>(incy)).noalias() =
        block.transpose() * dense_x;
  });
}

template void gemv_rows<float>(const float*, int64_t, int64_t, int64_t, const float*, int64_t,
                               float*, int64_t);
template void gemv_rows<double>(const double*, int64_t, int64_t, int64_t, const double*, int64_t,
                                double*, int64_t);
template void gemv_columns<float>(const float*, int64_t, int64_t, int64_t, const float*, int64_t,
                                  float*, int64_t);
template void gemv_columns<double>(const double*, int64_t, int64_t, int64_t, const double*,
                                   int64_t, double*, int64_t);

}  // namespace bytegrad::kernels::cpu
