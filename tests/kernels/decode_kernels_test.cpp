// The decode step's kernels against their composed references, written here with plain loops in
// double precision: the stacked and accumulating products (kernels/cpu/fused_gemv.h) in every
// weight format, SwiGLU's fused gate/up product, attention over a KV cache
// (kernels/cpu/cached_attention.h), and int8 group quantization. Sizes are not multiples of the
// vector width and large enough to be shared between threads; a product run serially
// (SerialScope) gives the same bits as a shared one.
#include <doctest/doctest.h>

#include <algorithm>
#include <bit>
#include <cmath>
#include <cstdint>
#include <vector>

#include "base/half.h"
#include "base/philox.h"
#include "kernels/cpu/cached_attention.h"
#include "kernels/cpu/float32_rows.h"
#include "kernels/cpu/fused_gemv.h"
#include "kernels/cpu/gemv.h"
#include "kernels/cpu/weight_rows.h"

namespace bytegrad::kernels::cpu {
namespace {

std::vector<float> random_values(size_t n, uint64_t seed) {
  std::vector<float> values(n);
  for (size_t i = 0; i < n; ++i) values[i] = float(philox::normal(seed, 0, i));
  return values;
}

// w [rows, cols] . x in double.
std::vector<double> reference_product(const std::vector<float>& w, int64_t rows, int64_t cols, const std::vector<float>& x) {
  std::vector<double> y(static_cast<size_t>(rows), 0.0);
  for (int64_t r = 0; r < rows; ++r)
    for (int64_t c = 0; c < cols; ++c) y[size_t(r)] += double(w[size_t(r * cols + c)]) * double(x[size_t(c)]);
  return y;
}

void check_near(const std::vector<float>& actual, const std::vector<double>& expected, double tolerance) {
  REQUIRE(actual.size() == expected.size());
  for (size_t i = 0; i < actual.size(); ++i) {
    INFO("element " << i << ": " << actual[i] << " vs " << expected[i]);
    CHECK(std::fabs(double(actual[i]) - expected[i]) <= tolerance * (1 + std::fabs(expected[i])));
  }
}

TEST_CASE("float32 rows: each row the same bits however the rows are cut, near the float64 product") {
  // Column counts with and without a tail after the last sixteen, short rows (prefetched) and a
  // long one; 23 rows: groups of eight, one of four and three single rows.
  for (const int64_t cols : {1, 15, 16, 17, 48, 288, 301, 700}) {
    const int64_t rows = 23;
    const std::vector<float> w = random_values(size_t(rows * cols), 30), x = random_values(size_t(cols), 31);
    std::vector<float> whole(size_t(rows), 0.0f);
    float32_rows_times(w.data(), rows, cols, x.data(), whole.data(), false);
    INFO("cols " << cols);
    check_near(whole, reference_product(w, rows, cols, x), 1e-5);
    for (const int64_t piece : {1, 2, 3, 5, 7}) {  // the rows in pieces of this many, from row 1
      std::vector<float> cut(size_t(rows), 0.0f);
      float32_rows_times(w.data(), 1, cols, x.data(), cut.data(), false);
      for (int64_t r = 1; r < rows; r += piece)
        float32_rows_times(w.data() + r * cols, std::min(piece, rows - r), cols, x.data(), cut.data() + r, false);
      INFO("pieces of " << piece);
      CHECK(cut == whole);
    }
    std::vector<float> added(size_t(rows), 2.0f);
    float32_rows_times(w.data(), rows, cols, x.data(), added.data(), true);
    for (int64_t r = 0; r < rows; ++r) CHECK(added[size_t(r)] == 2.0f + whole[size_t(r)]);
  }
}

TEST_CASE("stacked products: each block's rows, overwritten or accumulated, shared or serial") {
  const int64_t cols = 301, rows[] = {257, 37, 130};  // 424 x 301: shared between threads
  std::vector<std::vector<float>> weights, outputs;
  for (int b = 0; b < 3; ++b) weights.push_back(random_values(size_t(rows[b] * cols), 10 + b));
  const std::vector<float> x = random_values(size_t(cols), 20);
  for (const bool accumulate : {false, true}) {
    INFO("accumulate " << accumulate);
    std::vector<float> shared_bits;
    for (const bool serial : {false, true}) {
      INFO("serial " << serial);
      outputs.clear();
      std::vector<RowBlock> blocks;
      for (int b = 0; b < 3; ++b) outputs.push_back(std::vector<float>(size_t(rows[b]), 1.5f));
      for (int b = 0; b < 3; ++b) blocks.push_back({{WeightFormat::Float32, weights[b].data()}, rows[b], outputs[b].data()});
      {
        const SerialScope scope(serial);
        gemv_blocks(blocks, cols, x.data(), accumulate);
      }
      std::vector<float> all;
      for (int b = 0; b < 3; ++b) {
        std::vector<double> expected = reference_product(weights[b], rows[b], cols, x);
        if (accumulate)
          for (double& e : expected) e += 1.5;
        check_near(outputs[b], expected, 1e-5);
        all.insert(all.end(), outputs[b].begin(), outputs[b].end());
      }
      if (serial) CHECK(all == shared_bits);  // the same bits however the rows are cut
      shared_bits = all;
    }
  }
}

TEST_CASE("bfloat16 and int8 group rows against their dequantized float32 rows") {
  const int64_t rows = 150, cols = 320, group = 64;
  const std::vector<float> w = random_values(size_t(rows * cols), 30), x = random_values(size_t(cols), 31);

  std::vector<uint16_t> bf16(w.size());
  std::vector<float> rounded(w.size());
  for (size_t i = 0; i < w.size(); ++i) {
    bf16[i] = BFloat16::round_to_bfloat16(w[i]);
    rounded[i] = float(std::bit_cast<BFloat16>(bf16[i]));
  }
  std::vector<float> y(static_cast<size_t>(rows));
  const RowBlock bf16_block{{WeightFormat::BFloat16, bf16.data()}, rows, y.data()};
  gemv_blocks({&bf16_block, 1}, cols, x.data(), false);
  check_near(y, reference_product(rounded, rows, cols, x), 1e-5);

  std::vector<int8_t> q(w.size());
  std::vector<float> scales(w.size() / group);
  quantize_int8_groups(w, group, q.data(), scales.data());
  for (size_t i = 0; i < w.size(); ++i) {
    CHECK(std::fabs(w[i] - float(q[i]) * scales[i / group]) <= scales[i / group] / 2 * 1.0001f);  // rounding
    rounded[i] = float(q[i]) * scales[i / group];
  }
  // The input is quantized too: the same groups of x, so a row's error is bounded by
  // sum |w| * (x's scale / 2) per group.
  std::vector<int8_t> qx(static_cast<size_t>(cols));
  std::vector<float> x_scales(static_cast<size_t>(cols / group));
  quantize_int8_groups(x, group, qx.data(), x_scales.data());
  std::vector<float> x_rounded(static_cast<size_t>(cols));
  for (int64_t i = 0; i < cols; ++i) x_rounded[size_t(i)] = float(qx[size_t(i)]) * x_scales[size_t(i / group)];
  const RowBlock int8_block{{WeightFormat::Int8Groups, q.data(), scales.data(), group}, rows, y.data()};
  gemv_blocks({&int8_block, 1}, cols, x.data(), false);
  check_near(y, reference_product(rounded, rows, cols, x_rounded), 1e-5);  // exact integer sums, then scales
}

TEST_CASE("swiglu_gemv is silu(gate x) * (up x) row by row") {
  const int64_t rows = 413, cols = 129;
  const std::vector<float> gate = random_values(size_t(rows * cols), 40), up = random_values(size_t(rows * cols), 41),
                           x = random_values(size_t(cols), 42);
  std::vector<float> out(static_cast<size_t>(rows)), scratch(static_cast<size_t>(rows));
  swiglu_gemv({WeightFormat::Float32, gate.data()}, {WeightFormat::Float32, up.data()}, rows, cols, x.data(),
              out.data(), scratch.data());
  const std::vector<double> g = reference_product(gate, rows, cols, x), u = reference_product(up, rows, cols, x);
  std::vector<double> expected(static_cast<size_t>(rows));
  for (size_t i = 0; i < expected.size(); ++i) expected[i] = g[i] / (1 + std::exp(-g[i])) * u[i];
  check_near(out, expected, 1e-5);
}

TEST_CASE("cached_attention: softmax over the filled positions of each query head's key/value head") {
  const int64_t heads = 6, kv_heads = 2, dim = 20, capacity = 50, length = 37;
  const std::vector<float> q = random_values(size_t(heads * dim), 50),
                           keys = random_values(size_t(kv_heads * capacity * dim), 51),
                           values = random_values(size_t(kv_heads * capacity * dim), 52);
  std::vector<float> scores(static_cast<size_t>(heads * length)), out(static_cast<size_t>(heads * dim));
  cached_attention(q.data(), keys.data(), values.data(), heads, kv_heads, dim, capacity, length, scores.data(),
                   out.data());
  std::vector<double> expected(out.size(), 0.0);
  for (int64_t h = 0; h < heads; ++h) {
    const int64_t g = h / (heads / kv_heads);
    std::vector<double> p(static_cast<size_t>(length));
    double largest = -1e300, total = 0;
    for (int64_t t = 0; t < length; ++t) {
      double s = 0;
      for (int64_t d = 0; d < dim; ++d) s += double(q[size_t(h * dim + d)]) * keys[size_t((g * capacity + t) * dim + d)];
      p[size_t(t)] = s / std::sqrt(double(dim));
      largest = std::max(largest, p[size_t(t)]);
    }
    for (double& v : p) total += (v = std::exp(v - largest));
    for (int64_t t = 0; t < length; ++t)
      for (int64_t d = 0; d < dim; ++d)
        expected[size_t(h * dim + d)] += p[size_t(t)] / total * values[size_t((g * capacity + t) * dim + d)];
  }
  check_near(out, expected, 1e-5);
}

}  // namespace
}  // namespace bytegrad::kernels::cpu
