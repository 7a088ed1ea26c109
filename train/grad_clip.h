// Global gradient-norm clipping, as torch.nn.utils.clip_grad_norm_.
#pragma once

#include <vector>

#include "tensor/tensor.h"

namespace bytegrad::train {

// The L2 norm of all the parameters' gradients taken together (parameters without a gradient
// count as zero). When `max_norm` > 0 and the norm exceeds it, every gradient is scaled in place
// by max_norm / (norm + 1e-6). Returns the norm before clipping; a norm that is not finite
// scales nothing (the caller decides what to do with such a step, train/nonfinite.h). The norm and the scaling are
// one fused kernel call each over all gradients (tensor/fused_optimizers.h); gradients must be
// contiguous float32 tensors on one device.
double clip_grad_norm(const std::vector<Tensor>& parameters, double max_norm);

}  // namespace bytegrad::train
