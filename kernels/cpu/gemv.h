// Matrix-vector products: the shape of every linear layer when decoding one token, y = W x.
// They read W once and are bound by memory bandwidth, so they split W's rows (or columns)
// over the OpenMP threads; OpenBLAS's GEMM given a single row of output runs its blocked
// matrix-matrix path instead, measured 2-3x slower at these shapes.
#pragma once

#include <algorithm>
#include <cstdint>

namespace bytegrad::kernels::cpu {

// y[i * incy] = sum_p w[i * ldw + p] * x[p * incx] for i < rows, p < cols: each row of the
// row-major w dotted with x.
template <typename T>
void gemv_rows(const T* w, int64_t ldw, int64_t rows, int64_t cols, const T* x, int64_t incx,
               T* y, int64_t incy);

// y[j * incy] = sum_p x[p * incx] * w[p * ldw + j] for j < cols, p < rows: x times the
// row-major w.
template <typename T>
void gemv_columns(const T* w, int64_t ldw, int64_t rows, int64_t cols, const T* x, int64_t incx,
                  T* y, int64_t incy);

// Threads for products that take microseconds each, many per decoded token. An OpenMP region
// ends in a barrier that waits for every thread of the team: when the machine is busy and the OS
// has not scheduled one of them yet, a product of microseconds waits a scheduling quantum
// (milliseconds). Here the calling thread claims chunks itself, helper threads that are awake
// claim others, and the caller waits only for chunks a helper has claimed and is running.

// The calling thread plus the helpers: OpenMP's thread count (OMP_NUM_THREADS) at first use.
int64_t sharing_threads();

// While one is alive with `serial` true, products called on this thread run all their chunks on
// it, leaving the helpers asleep: for a caller that has measured them to cost more than they
// bring (a machine whose other cores are busy). The chunks stay the same, so the results are
// the same bits as shared ones. Scopes nest; each restores what it found.
class SerialScope {
 public:
  explicit SerialScope(bool serial);
  ~SerialScope();
  SerialScope(const SerialScope&) = delete;
  SerialScope& operator=(const SerialScope&) = delete;

 private:
  bool previous_;
};

// Whether run_shared_chunks called here now would offer chunks to helpers: there are helpers, no
// SerialScope is set, and this is not already inside a shared chunk or an OpenMP region. A caller
// whose results do not depend on how its work is cut may then do it in one piece instead.
bool chunks_shared_now();

// Runs body(context, c) for every chunk c in [0, chunks), on this thread and any helper awake;
// serially when there are no helpers, or when another thread is using them.
void run_shared_chunks(int64_t chunks, void (*body)(const void* context, int64_t chunk),
                       const void* context);

// Splits [0, n) into contiguous ranges and runs body(begin, end) on each, shared between threads
// (run_shared_chunks) when `work` (multiply-adds) is large enough to pay for it.
template <typename Body>
void share_ranges(int64_t n, int64_t work, const Body& body) {
  constexpr int64_t kMinimumWork = int64_t(1) << 15;  // a few microseconds on one core
  constexpr int64_t kChunksPerThread = 8;  // a thread arriving late finds its share taken
  const int64_t threads = sharing_threads();
  if (work < kMinimumWork || n < 2 || threads < 2) {
    body(int64_t(0), n);
    return;
  }
  struct Ranges {
    const Body* body;
    int64_t n, chunks;
  };
  const Ranges ranges{&body, n, std::min(n, kChunksPerThread * threads)};
  run_shared_chunks(ranges.chunks, [](const void* context, int64_t c) {
    const Ranges& r = *static_cast<const Ranges*>(context);
    (*r.body)(r.n * c / r.chunks, r.n * (c + 1) / r.chunks);
  }, &ranges);
}

}  // namespace bytegrad::kernels::cpu
