// Fused optimizer updates: one kernel call updates every parameter of a model (the multi-tensor
// kernels of kernels/backend.h). The optimizers in train/ keep the schedule and bookkeeping (step
// count, bias corrections, which parameters decay) and hand the per-step numbers to these.
//
// Every tensor is updated in place and must be a contiguous float32 tensor on the device of the
// first parameter, with as many elements as its parameter; otherwise Error names the op, the
// parameter's position in the list, and the offending shape, dtype or device.
#pragma once

#include <vector>

#include "kernels/backend.h"
#include "tensor/tensor.h"

namespace bytegrad::ops {

// One parameter for adamw_update: its gradient, its two moments and its decay factor
// (1 - lr * weight_decay for decayed parameters, 1 for the others).
struct AdamWTensors {
  Tensor param, grad, exp_avg, exp_avg_sq;
  float decay = 1.0f;
};
// One AdamW step over every parameter (the formula at Backend::adamw).
void adamw_update(const std::vector<AdamWTensors>& parameters, const kernels::AdamWStep& step);

// One parameter for sgd_update: its gradient, its momentum buffer and its L2 weight decay.
struct SgdTensors {
  Tensor param, grad, velocity;
  float weight_decay = 0.0f;
};
// One SGD-with-momentum step over every parameter (the formula at Backend::sgd).
void sgd_update(const std::vector<SgdTensors>& parameters, float learning_rate, float momentum);

// The sum of squares of every element of every tensor, accumulated in float64.
double sum_of_squares(const std::vector<Tensor>& tensors);
// Multiplies every tensor by `factor` in place.
void scale_(const std::vector<Tensor>& tensors, float factor);

}  // namespace bytegrad::ops
