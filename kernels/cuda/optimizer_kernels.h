// Launchers of the optimizer kernels (the Backend's adamw, sgd, sum_of_squares and scale), one
// launch per parameter buffer: contiguous float32 device memory of n elements. The arithmetic
// of each element is the CPU backend's (kernels/cpu/optimizer.cpp), in float32. Launches are
// issued on `stream` and not waited for; a failed launch throws Error.
#pragma once

#include <cuda_runtime_api.h>

#include <cstdint>

namespace bytegrad::kernels::cuda {

// One AdamW step of one parameter (kernels/backend.h, Backend::adamw, for the formula).
void adamw_update(cudaStream_t stream, float* param, const float* grad, float* exp_avg,
                  float* exp_avg_sq, int64_t n, float decay, float beta1, float beta2, float eps,
                  float step_size, float inverse_bias_correction2);

// One SGD-with-momentum step of one parameter: v = momentum v + g + weight_decay p; p -= lr v.
void sgd_update(cudaStream_t stream, float* param, const float* grad, float* velocity, int64_t n,
                float weight_decay, float learning_rate, float momentum);

// x *= factor.
void scale_buffer(cudaStream_t stream, float* x, int64_t n, float factor);

// The number of partial sums sum_of_squares_partials writes for n elements: one per block, a
// function of n alone, so that the final sum does not depend on anything else.
int sum_of_squares_blocks(int64_t n);

// partials[b] = the sum of x^2 (in float64) over block b's share of x, for the
// sum_of_squares_blocks(n) blocks; the caller adds them in order.
void sum_of_squares_partials(cudaStream_t stream, const float* x, int64_t n, double* partials);

}  // namespace bytegrad::kernels::cuda
