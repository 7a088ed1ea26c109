// The matrix-vector products of one decoded token, fused so that one job shared between threads
// (gemv.h's chunk sharing) covers what the composed ops split into several, and no intermediate
// is written and read back: the q, k and v projections as one product over their stacked rows,
// SwiGLU's gate and up products with the activation applied as each row is done, and the
// products that feed a residual added into it. Weights in any format of weight_rows.h; x is
// prepared for it (quantized, for Int8Groups) once per call, on the calling thread.
//
// Their reference is the composed form: gemv_rows (gemv.h) per matrix, then the elementwise ops.
#pragma once

#include <cstdint>
#include <span>

#include "kernels/cpu/weight_rows.h"

namespace bytegrad::kernels::cpu {

// One matrix of a stacked product: w [rows, cols], its result y [rows].
struct RowBlock {
  WeightRows w;
  int64_t rows;
  float* y;
};

// y_b = W_b x for every block b, or y_b += W_b x with `accumulate` (a residual add), all blocks'
// rows split between the threads as one job. The blocks share one format (and group); x [cols]
// must not alias any y_b.
void gemv_blocks(std::span<const RowBlock> blocks, int64_t cols, const float* x, bool accumulate);

// SwiGLU's hidden layer: out[i] = silu(gate[i] . x) * (up[i] . x) for i < rows, with
// silu(g) = g / (1 + exp(-g)); gate and up [rows, cols] of one format; `scratch` [rows] holds
// the up products.
void swiglu_gemv(const WeightRows& gate, const WeightRows& up, int64_t rows, int64_t cols, const float* x,
                 float* out, float* scratch);

}  // namespace bytegrad::kernels::cpu
