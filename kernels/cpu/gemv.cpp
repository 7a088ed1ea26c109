#include "kernels/cpu/gemv.h"

#include <omp.h>

#include <Eigen/Core>
#include <algorithm>
#include <vector>

namespace bytegrad::kernels::cpu {
namespace {

// Below this many multiply-adds (a few microseconds on one core) a second thread costs more
// than it saves.
constexpr int64_t kParallelMultiplyAdds = int64_t(1) << 15;

template <typename T>
using RowMajorMap = Eigen::Map<const Eigen::Matrix<T, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>,
                               0, Eigen::OuterStride<>>;
template <typename T>
using Vector = Eigen::Matrix<T, Eigen::Dynamic, 1>;
template <typename T>
using StridedVector = Eigen::Map<const Vector<T>, 0, Eigen::InnerStride<>>;
template <typename T>
using StridedOutput = Eigen::Map<Vector<T>, 0, Eigen::InnerStride<>>;

// Splits [0, n) into one contiguous range per thread and runs body(begin, end) on each.
template <typename Body>
void split_over_threads(int64_t n, int64_t work, Body&& body) {
  if (work < kParallelMultiplyAdds || n < 2 || omp_in_parallel()) {
    body(int64_t(0), n);
    return;
  }
#pragma omp parallel
  {
    const int64_t threads = omp_get_num_threads(), id = omp_get_thread_num();
    body(n * id / threads, n * (id + 1) / threads);
  }
}

}  // namespace

template <typename T>
void gemv_rows(const T* w, int64_t ldw, int64_t rows, int64_t cols, const T* x, int64_t incx,
               T* y, int64_t incy) {
  // A dense copy of x: every thread reads all of it, once per row.
  const Vector<T> dense_x = StridedVector<T>(x, cols, Eigen::InnerStride<>(incx));
  split_over_threads(rows, rows * cols, [&](int64_t begin, int64_t end) {
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
  split_over_threads(cols, rows * cols, [&](int64_t begin, int64_t end) {
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
