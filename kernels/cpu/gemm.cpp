// Matrix products. float32/float64 go to OpenBLAS (measured ~1.5x Eigen's own GEMM on
// AVX-512 cores, and near the cores' peak), except matrix-vector products (one row or one column
// of output: a linear layer decoding one token), which go to the bandwidth-bound kernels of
// gemv.h; half types are widened to float32 around the call; integer products use a plain loop
// (they are rare and small).
#include <cblas.h>

#include <vector>

#include "base/error.h"
#include "kernels/cpu/cpu_backend.h"
#include "kernels/cpu/gemv.h"
#include "kernels/cpu/strided_loop.h"

namespace bytegrad::kernels::cpu {
namespace {

// Many small products (attention heads) run one per thread; large ones use OpenBLAS's own
// threads, which it disables inside an OpenMP parallel region.
constexpr int64_t kSmallGemmFlops = 64 * 64 * 64 * 8;

template <typename T>
void blas_gemm(const T* a, const T* b, T* c, const GemmBatch& g, int64_t entry) {
  const auto ta = g.transpose_a ? CblasTrans : CblasNoTrans;
  const auto tb = g.transpose_b ? CblasTrans : CblasNoTrans;
  const T* a_entry = a + g.a_offsets[size_t(entry)];
  const T* b_entry = b + g.b_offsets[size_t(entry)];
  T* c_entry = c + g.c_offsets[size_t(entry)];
  if constexpr (std::is_same_v<T, float>) {
    cblas_sgemm(CblasRowMajor, ta, tb, int(g.m), int(g.n), int(g.k), 1.0f, a_entry, int(g.lda),
                b_entry, int(g.ldb), 0.0f, c_entry, int(g.ldc));
  } else {
    cblas_dgemm(CblasRowMajor, ta, tb, int(g.m), int(g.n), int(g.k), 1.0, a_entry, int(g.lda),
                b_entry, int(g.ldb), 0.0, c_entry, int(g.ldc));
  }
}

// One entry's product as a matrix-vector product, when it is one: C [1, n] = A [1, k] op(B),
// or C [m, 1] = op(A) B [k, 1].
template <typename T>
bool try_gemv(const T* a, const T* b, T* c, const GemmBatch& g, int64_t entry) {
  const T* a_entry = a + g.a_offsets[size_t(entry)];
  const T* b_entry = b + g.b_offsets[size_t(entry)];
  T* c_entry = c + g.c_offsets[size_t(entry)];
  if (g.m == 1) {
    const int64_t a_step = g.transpose_a ? g.lda : 1;  // A's row [1, k] as a vector
    if (g.transpose_b) gemv_rows(b_entry, g.ldb, g.n, g.k, a_entry, a_step, c_entry, int64_t(1));
    else gemv_columns(b_entry, g.ldb, g.k, g.n, a_entry, a_step, c_entry, int64_t(1));
    return true;
  }
  if (g.n == 1) {
    const int64_t b_step = g.transpose_b ? 1 : g.ldb;  // B's column [k, 1] as a vector
    if (g.transpose_a) gemv_columns(a_entry, g.lda, g.k, g.m, b_entry, b_step, c_entry, g.ldc);
    else gemv_rows(a_entry, g.lda, g.m, g.k, b_entry, b_step, c_entry, g.ldc);
    return true;
  }
  return false;
}

template <typename T>
void blas_product(const T* a, const T* b, T* c, const GemmBatch& g, int64_t entry) {
  if (!try_gemv(a, b, c, g, entry)) blas_gemm(a, b, c, g, entry);
}

template <typename T>
void loop_gemm(const T* a, const T* b, T* c, const GemmBatch& g, int64_t entry) {
  const T* a_entry = a + g.a_offsets[size_t(entry)];
  const T* b_entry = b + g.b_offsets[size_t(entry)];
  T* c_entry = c + g.c_offsets[size_t(entry)];
  for (int64_t i = 0; i < g.m; ++i)
    for (int64_t j = 0; j < g.n; ++j) {
      int64_t sum = 0;
      for (int64_t p = 0; p < g.k; ++p) {
        const T x = g.transpose_a ? a_entry[p * g.lda + i] : a_entry[i * g.lda + p];
        const T y = g.transpose_b ? b_entry[j * g.ldb + p] : b_entry[p * g.ldb + j];
        sum += int64_t(x) * int64_t(y);
      }
      c_entry[i * g.ldc + j] = T(sum);
    }
}

template <typename Fn>
void for_each_entry(const GemmBatch& g, Fn&& fn) {
  const int64_t entries = int64_t(g.c_offsets.size());
  const int64_t flops = 2 * g.m * g.n * g.k;
  if (entries > 1 && (g.m == 1 || g.n == 1)) {
    // Matrix-vector products (the attention of one decoded token, head by head) share entries
    // between threads as the gemv kernels share rows; each entry then runs on one thread.
    share_ranges(entries, entries * flops / 2, [&](int64_t begin, int64_t end) {
      for (int64_t e = begin; e < end; ++e) fn(e);
    });
  } else if (entries > 1 && flops < kSmallGemmFlops) {
    parallel_for(entries, flops, fn);
  } else {
    for (int64_t e = 0; e < entries; ++e) fn(e);
  }
}

// The number of elements from the buffer's start to the end of the last entry's last row.
int64_t span_of(std::span<const int64_t> offsets, int64_t rows, int64_t cols, int64_t ld) {
  int64_t end = 0;
  for (int64_t o : offsets) end = std::max(end, o + (rows - 1) * ld + cols);
  return end;
}

}  // namespace

void CpuBackend::gemm(DType dtype, const void* a, const void* b, void* c, const GemmBatch& g) {
  if (g.m == 0 || g.n == 0) return;
  visit_dtype(dtype, [&]<typename T>() {
    if constexpr (std::is_same_v<T, float> || std::is_same_v<T, double>) {
      for_each_entry(g, [&](int64_t e) {
        blas_product(static_cast<const T*>(a), static_cast<const T*>(b), static_cast<T*>(c), g, e);
      });
    } else if constexpr (std::is_same_v<T, BFloat16> || std::is_same_v<T, Float16>) {
      // Widen to float32, multiply, narrow the result.
      const int64_t a_rows = g.transpose_a ? g.k : g.m, a_cols = g.transpose_a ? g.m : g.k;
      const int64_t b_rows = g.transpose_b ? g.n : g.k, b_cols = g.transpose_b ? g.k : g.n;
      std::vector<float> wide_a(size_t(span_of(g.a_offsets, a_rows, a_cols, g.lda)));
      std::vector<float> wide_b(size_t(span_of(g.b_offsets, b_rows, b_cols, g.ldb)));
      std::vector<float> wide_c(size_t(span_of(g.c_offsets, g.m, g.n, g.ldc)));
      for (size_t i = 0; i < wide_a.size(); ++i) wide_a[i] = float(static_cast<const T*>(a)[i]);
      for (size_t i = 0; i < wide_b.size(); ++i) wide_b[i] = float(static_cast<const T*>(b)[i]);
      for_each_entry(g, [&](int64_t e) {
        blas_product(wide_a.data(), wide_b.data(), wide_c.data(), g, e);
      });
      for (int64_t e = 0; e < int64_t(g.c_offsets.size()); ++e)
        for (int64_t i = 0; i < g.m; ++i)
          for (int64_t j = 0; j < g.n; ++j) {
            const int64_t at = g.c_offsets[size_t(e)] + i * g.ldc + j;
            static_cast<T*>(c)[at] = T(wide_c[size_t(at)]);
          }
    } else if constexpr (std::is_same_v<T, bool>) {
      throw Error("matmul: bool tensors have no products; convert to another dtype first");
    } else {
      for_each_entry(g, [&](int64_t e) {
        loop_gemm(static_cast<const T*>(a), static_cast<const T*>(b), static_cast<T*>(c), g, e);
      });
    }
  });
}

}  // namespace bytegrad::kernels::cpu
