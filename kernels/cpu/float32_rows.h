// The float32 matrix-vector product of a decode step, y[i] = w[i] . x for rows of a row-major
// matrix, written so that each row's result is the same bits whichever rows one call covers:
// every row is summed in the same order (sixteen lanes of FMAs along the row, then one fixed
// reduction of the lanes), whether it is done among eight rows or alone. Eigen's GEMV, which this
// replaces in the decode path, takes other paths for the last rows of a call, so its results
// depend on where a call's rows begin; the decode steps had to cut every product into the same
// chunks whether or not they shared them between threads, and on one thread those chunks cost 20%
// of the layers' time. With this one a step that runs serially does each product in one call.
#pragma once

#include <cstdint>

namespace bytegrad::kernels::cpu {

// y[i] = w[i * cols, (i + 1) * cols) . x for i < rows, or y[i] += with `accumulate`.
void float32_rows_times(const float* w, int64_t rows, int64_t cols, const float* x, float* y, bool accumulate);

}  // namespace bytegrad::kernels::cpu
