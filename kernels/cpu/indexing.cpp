// Index-driven ops over contiguous arrays seen as [outer, dim, inner]: gather, scatter_add,
// index_select, index_add, and triangular masks. Indices are int64 and were bounds-checked by
// the tensor layer.
#include "kernels/cpu/cpu_backend.h"
#include "kernels/cpu/strided_loop.h"
#include "kernels/dim_split.h"

namespace bytegrad::kernels::cpu {
namespace {

template <typename T> T add_values(T a, T b) {
  if constexpr (std::is_same_v<T, bool>) return a || b;
  else return T(compute_t<T>(a) + compute_t<T>(b));
}

}  // namespace

void CpuBackend::gather(const ArrayView& in, const ArrayView& index, const ArrayView& out,
                        int64_t dim) {
  const Split3 src = split_at(in.shape, dim), dst = split_at(out.shape, dim);
  visit_dtype(in.dtype, [&]<typename T>() {
    const T* x = in.as<T>();
    const int64_t* idx = index.as<int64_t>();
    T* y = out.as<T>();
    parallel_for(dst.outer * dst.dim, dst.inner, [&](int64_t row) {
      const int64_t o = row / dst.dim;
      for (int64_t i = 0; i < dst.inner; ++i) {
        const int64_t at = row * dst.inner + i;
        y[at] = x[(o * src.dim + idx[at]) * src.inner + i];
      }
    });
  });
}

void CpuBackend::scatter_add(const ArrayView& dst, const ArrayView& index, const ArrayView& src,
                             int64_t dim) {
  const Split3 to = split_at(dst.shape, dim), from = split_at(src.shape, dim);
  visit_dtype(dst.dtype, [&]<typename T>() {
    T* y = dst.as<T>();
    const int64_t* idx = index.as<int64_t>();
    const T* x = src.as<T>();
    // Threads own disjoint (outer, inner) columns, so no two add into the same element.
    parallel_for(from.outer * from.inner, from.dim, [&](int64_t column) {
      const int64_t o = column / from.inner, i = column % from.inner;
      for (int64_t j = 0; j < from.dim; ++j) {
        const int64_t at = (o * from.dim + j) * from.inner + i;
        T& target = y[(o * to.dim + idx[at]) * to.inner + i];
        target = add_values(target, x[at]);
      }
    });
  });
}

void CpuBackend::index_select(const ArrayView& in, const ArrayView& index, const ArrayView& out,
                              int64_t dim) {
  const Split3 src = split_at(in.shape, dim);
  const int64_t count = index.numel();
  visit_dtype(in.dtype, [&]<typename T>() {
    const T* x = in.as<T>();
    const int64_t* idx = index.as<int64_t>();
    T* y = out.as<T>();
    parallel_for(src.outer * count, src.inner, [&](int64_t row) {
      const int64_t o = row / count, j = row % count;
      const T* from = x + (o * src.dim + idx[j]) * src.inner;
      std::copy(from, from + src.inner, y + row * src.inner);
    });
  });
}

void CpuBackend::index_add(const ArrayView& dst, const ArrayView& index, const ArrayView& src,
                           int64_t dim) {
  const Split3 to = split_at(dst.shape, dim);
  const int64_t count = index.numel();
  visit_dtype(dst.dtype, [&]<typename T>() {
    T* y = dst.as<T>();
    const int64_t* idx = index.as<int64_t>();
    const T* x = src.as<T>();
    // Each task owns one outer slice and a band of inner columns: repeated indices never race.
    const int64_t band = std::max<int64_t>(16, to.inner / 8);
    const int64_t bands = (to.inner + band - 1) / band;
    parallel_for(to.outer * bands, count * band, [&](int64_t task) {
      const int64_t o = task / bands, begin = (task % bands) * band;
      const int64_t end = std::min(to.inner, begin + band);
      for (int64_t j = 0; j < count; ++j) {
        T* target = y + (o * to.dim + idx[j]) * to.inner;
        const T* from = x + (o * count + j) * to.inner;
        for (int64_t i = begin; i < end; ++i) target[i] = add_values(target[i], from[i]);
      }
    });
  });
}

void CpuBackend::triangle(const ArrayView& in, const ArrayView& out, int64_t k, bool upper) {
  const int64_t rows = in.shape[size_t(in.ndim() - 2)], cols = in.shape.back();
  const int64_t matrices = rows * cols == 0 ? 0 : in.numel() / (rows * cols);
  visit_dtype(in.dtype, [&]<typename T>() {
    const T* x = in.as<T>();
    T* y = out.as<T>();
    parallel_for(matrices * rows, cols, [&](int64_t row) {
      const int64_t r = row % rows;
      for (int64_t c = 0; c < cols; ++c) {
        const bool keep = upper ? c - r >= k : c - r <= k;
        y[row * cols + c] = keep ? x[row * cols + c] : T{};
      }
    });
  });
}

}  // namespace bytegrad::kernels::cpu
