#include "kernels/cpu/fused_gemv.h"

#include <Eigen/Core>
#include <cmath>

#include "kernels/cpu/gemv.h"

namespace bytegrad::kernels::cpu {
namespace {

using RowMajor = Eigen::Map<const Eigen::Matrix<float, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>>;
using ConstVector = Eigen::Map<const Eigen::VectorXf>;
using Vector = Eigen::Map<Eigen::VectorXf>;

// y[0, n) = w[0, n) x, or += with accumulate: Eigen's row-major GEMV, which reads x once for
// several rows at a time.
void rows_times(const float* w, int64_t n, int64_t cols, const float* x, float* y, bool accumulate) {
  if (n <= 0) return;
  const RowMajor block(w, n, cols);
  if (accumulate)
    Vector(y, n).noalias() += block * ConstVector(x, cols);
  else
    Vector(y, n).noalias() = block * ConstVector(x, cols);
}

}  // namespace

void gemv_blocks(std::span<const RowBlock> blocks, int64_t cols, const float* x, bool accumulate) {
  int64_t total = 0;
  for (const RowBlock& b : blocks) total += b.rows;
  // A range of the stacked rows [begin, end) is cut at the blocks' edges.
  share_ranges(total, total * cols, [&](int64_t begin, int64_t end) {
    int64_t first = 0;  // the stacked index of the current block's row 0
    for (const RowBlock& b : blocks) {
      const int64_t lo = std::max(begin, first), hi = std::min(end, first + b.rows);
      if (lo < hi) rows_times(b.w + (lo - first) * cols, hi - lo, cols, x, b.y + (lo - first), accumulate);
      first += b.rows;
      if (first >= end) break;
    }
  });
}

void swiglu_gemv(const float* gate, const float* up, int64_t rows, int64_t cols, const float* x,
                 float* out, float* scratch) {
  share_ranges(rows, 2 * rows * cols, [&](int64_t begin, int64_t end) {
    const int64_t n = end - begin;
    rows_times(gate + begin * cols, n, cols, x, out + begin, false);
    rows_times(up + begin * cols, n, cols, x, scratch + begin, false);
    for (int64_t i = begin; i < end; ++i) out[i] = out[i] / (1.0f + std::exp(-out[i])) * scratch[i];
  });
}

}  // namespace bytegrad::kernels::cpu
