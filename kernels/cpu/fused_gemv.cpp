#include "kernels/cpu/fused_gemv.h"

#include <algorithm>
#include <cmath>
#include <vector>

#include "base/error.h"
#include "kernels/cpu/gemv.h"

namespace bytegrad::kernels::cpu {
namespace {

// x prepared for products with `w`'s format; the quantized copy lives in buffers of this thread
// that grow to the largest x once and are reused.
PreparedVector prepare(const WeightRows& w, int64_t cols, const float* x) {
  if (w.format != WeightFormat::Int8Groups) return {x, nullptr, nullptr};
  BYTEGRAD_CHECK(w.group > 0 && cols % w.group == 0, "gemv: ", cols, " columns are not a whole number of groups of ",
                 w.group);
  thread_local std::vector<int16_t> quantized;
  thread_local std::vector<float> scales;
  quantized.resize(std::max(quantized.size(), size_t(cols)));
  scales.resize(std::max(scales.size(), size_t(cols / w.group)));
  quantize_vector_int8_groups({x, size_t(cols)}, w.group, quantized.data(), scales.data());
  return {x, quantized.data(), scales.data()};
}

// Runs rows(begin, end) over [0, n): shared between threads when chunks are shared now, else in
// one piece. Every format's rows come out the same bits however the rows are cut
// (float32_rows.h), so the two give the same results.
template <typename Rows>
void run_rows(int64_t n, int64_t work, const Rows& rows) {
  if (chunks_shared_now())
    share_ranges(n, work, rows);
  else
    rows(int64_t(0), n);
}

}  // namespace

void gemv_blocks(std::span<const RowBlock> blocks, int64_t cols, const float* x, bool accumulate) {
  if (blocks.empty()) return;
  const PreparedVector prepared = prepare(blocks[0].w, cols, x);
  int64_t total = 0;
  for (const RowBlock& b : blocks) total += b.rows;
  // A range of the stacked rows [begin, end) is cut at the blocks' edges.
  const auto rows_between = [&](int64_t begin, int64_t end) {
    int64_t first = 0;  // the stacked index of the current block's row 0
    for (const RowBlock& b : blocks) {
      const int64_t lo = std::max(begin, first), hi = std::min(end, first + b.rows);
      if (lo < hi) weight_rows_times(b.w.from_row(lo - first, cols), hi - lo, cols, prepared, b.y + (lo - first), accumulate);
      first += b.rows;
      if (first >= end) break;
    }
  };
  run_rows(total, total * cols, rows_between);
}

void swiglu_gemv(const WeightRows& gate, const WeightRows& up, int64_t rows, int64_t cols, const float* x,
                 float* out, float* scratch) {
  const PreparedVector prepared = prepare(gate, cols, x);
  const auto rows_between = [&](int64_t begin, int64_t end) {
    const int64_t n = end - begin;
    weight_rows_times(gate.from_row(begin, cols), n, cols, prepared, out + begin, false);
    weight_rows_times(up.from_row(begin, cols), n, cols, prepared, scratch + begin, false);
    for (int64_t i = begin; i < end; ++i) out[i] = out[i] / (1.0f + std::exp(-out[i])) * scratch[i];
  };
  run_rows(rows, 2 * rows * cols, rows_between);
}

}  // namespace bytegrad::kernels::cpu
