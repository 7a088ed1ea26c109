// Matrix-vector products: the shape of every linear layer when decoding one token, y = W x.
// They read W once and are bound by memory bandwidth, so they split W's rows (or columns)
// over the OpenMP threads; OpenBLAS's GEMM given a single row of output runs its blocked
// matrix-matrix path instead, measured 2-3x slower at these shapes.
#pragma once

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

}  // namespace bytegrad::kernels::cpu
