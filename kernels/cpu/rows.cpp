// Row-wise ops over a contiguous [rows, n] layout: softmax and its gradient, cumulative sums,
// sorting and top-k. The tensor layer moves the op's dimension last before calling these.
#include <Eigen/Core>
#include <algorithm>
#include <array>
#include <cmath>
#include <limits>
#include <numeric>
#include <vector>

#include "kernels/cpu/cpu_backend.h"
#include "kernels/cpu/strided_loop.h"

namespace bytegrad::kernels::cpu {
namespace {

struct Rows {
  int64_t count;
  int64_t length;
};

Rows rows_of(const ArrayView& view) {
  const int64_t length = view.ndim() == 0 ? 1 : view.shape.back();
  return Rows{length == 0 ? 0 : view.numel() / length, length};
}

// Softmax of one row in float or double, using Eigen's vectorised exp.
template <typename C>
void softmax_row(const C* x, C* y, int64_t n, bool log) {
  using Array = Eigen::Array<C, Eigen::Dynamic, 1>;
  Eigen::Map<const Array> in(x, n);
  Eigen::Map<Array> out(y, n);
  const C peak = in.maxCoeff();
  if (peak == -std::numeric_limits<C>::infinity()) {
    // Every entry masked: no mass anywhere. Zeros keep attention over padding finite.
    out = log ? Array::Constant(n, peak) : Array::Zero(n);
    return;
  }
  out = (in - peak).exp();
  const C sum = out.sum();
  if (log) out = (in - peak) - std::log(sum);
  else out /= sum;
}

// Runs fn(input_rows, output_row) over all rows in parallel. Float and double rows are used in
// place; half-precision rows are widened to float in per-thread buffers and narrowed back.
template <typename T, size_t N, typename Fn>
void for_each_row_in_compute_type(const Rows& rows, std::array<const void*, N> inputs,
                                  void* output, Fn&& fn) {
  using C = compute_t<T>;
  const size_t length = size_t(rows.length);
  parallel_for(rows.count, rows.length * 8, [&](int64_t r) {
    std::array<const C*, N> in_rows;
    T* out_row = static_cast<T*>(output) + r * rows.length;
    if constexpr (std::is_same_v<T, C>) {
      for (size_t k = 0; k < N; ++k) in_rows[k] = static_cast<const T*>(inputs[k]) + r * rows.length;
      fn(in_rows, out_row);
    } else {
      thread_local std::vector<C> widened;
      widened.resize(length * (N + 1));
      for (size_t k = 0; k < N; ++k) {
        const T* row = static_cast<const T*>(inputs[k]) + r * rows.length;
        for (size_t i = 0; i < length; ++i) widened[k * length + i] = C(row[i]);
        in_rows[k] = widened.data() + k * length;
      }
      C* result = widened.data() + N * length;
      fn(in_rows, result);
      for (size_t i = 0; i < length; ++i) out_row[i] = T(result[i]);
    }
  });
}

template <typename C>
bool sorts_before(C a, C b, bool descending) {
  // NaN counts as larger than every number, as in PyTorch.
  if (a != a) return descending && b == b;
  if (b != b) return !descending;
  return descending ? a > b : a < b;
}

}  // namespace

void CpuBackend::softmax(const ArrayView& in, const ArrayView& out, bool log) {
  const Rows rows = rows_of(in);
  visit_dtype(in.dtype, [&]<typename T>() {
    if constexpr (std::is_floating_point_v<compute_t<T>>) {
      for_each_row_in_compute_type<T, 1>(rows, {in.data}, out.data, [&](auto& x, auto* y) {
        softmax_row(x[0], y, rows.length, log);
      });
    }
  });
}

void CpuBackend::softmax_backward(const ArrayView& y, const ArrayView& grad_out,
                                  const ArrayView& grad_in, bool log) {
  const Rows rows = rows_of(y);
  visit_dtype(y.dtype, [&]<typename T>() {
    using C = compute_t<T>;
    if constexpr (std::is_floating_point_v<C>) {
      for_each_row_in_compute_type<T, 2>(rows, {y.data, grad_out.data}, grad_in.data,
                                      [&](auto& in, C* gx) {
        const C* yr = in[0];
        const C* g = in[1];
        double dot = 0;
        if (log) {
          for (int64_t i = 0; i < rows.length; ++i) dot += g[i];
          for (int64_t i = 0; i < rows.length; ++i) gx[i] = g[i] - std::exp(yr[i]) * C(dot);
        } else {
          for (int64_t i = 0; i < rows.length; ++i) dot += double(g[i]) * double(yr[i]);
          for (int64_t i = 0; i < rows.length; ++i) gx[i] = yr[i] * (g[i] - C(dot));
        }
      });
    }
  });
}

void CpuBackend::cumsum(const ArrayView& in, const ArrayView& out) {
  const Rows rows = rows_of(in);
  visit_dtype(in.dtype, [&]<typename T>() {
    using C = compute_t<T>;
    using Acc = std::conditional_t<std::is_floating_point_v<C>, double, int64_t>;
    parallel_for(rows.count, rows.length, [&](int64_t r) {
      const T* x = in.as<T>() + r * rows.length;
      T* y = out.as<T>() + r * rows.length;
      Acc running = 0;
      for (int64_t i = 0; i < rows.length; ++i) {
        running += Acc(C(x[i]));
        y[i] = convert<T>(running);
      }
    });
  });
}

void CpuBackend::sort(const ArrayView& in, const ArrayView& values, const ArrayView& indices,
                      bool descending) {
  const Rows rows = rows_of(in);
  visit_dtype(in.dtype, [&]<typename T>() {
    using C = compute_t<T>;
    parallel_for(rows.count, rows.length * 16, [&](int64_t r) {
      const T* x = in.as<T>() + r * rows.length;
      int64_t* order = indices.as<int64_t>() + r * rows.length;
      std::iota(order, order + rows.length, int64_t(0));
      std::stable_sort(order, order + rows.length, [&](int64_t a, int64_t b) {
        return sorts_before(C(x[a]), C(x[b]), descending);
      });
      T* y = values.as<T>() + r * rows.length;
      for (int64_t i = 0; i < rows.length; ++i) y[i] = x[order[i]];
    });
  });
}

void CpuBackend::topk(const ArrayView& in, int64_t k, bool largest, const ArrayView& values,
                      const ArrayView& indices) {
  const Rows rows = rows_of(in);
  visit_dtype(in.dtype, [&]<typename T>() {
    using C = compute_t<T>;
    parallel_for(rows.count, rows.length * 4, [&](int64_t r) {
      const T* x = in.as<T>() + r * rows.length;
      std::vector<int64_t> order(size_t(rows.length));
      std::iota(order.begin(), order.end(), int64_t(0));
      // Ties keep the lower index first, so results do not depend on the sort's internals.
      auto before = [&](int64_t a, int64_t b) {
        const C xa = C(x[a]), xb = C(x[b]);
        if (sorts_before(xa, xb, largest)) return true;
        if (sorts_before(xb, xa, largest)) return false;
        return a < b;
      };
      std::partial_sort(order.begin(), order.begin() + k, order.end(), before);
      for (int64_t i = 0; i < k; ++i) {
        values.as<T>()[r * k + i] = x[order[size_t(i)]];
        indices.as<int64_t>()[r * k + i] = order[size_t(i)];
      }
    });
  });
}

}  // namespace bytegrad::kernels::cpu
