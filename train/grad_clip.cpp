#include "train/grad_clip.h"

#include <cmath>

#include "autograd/grad_mode.h"
#include "tensor/fused_optimizers.h"

namespace bytegrad::train {

double clip_grad_norm(const std::vector<Tensor>& parameters, double max_norm) {
  NoGradGuard no_grad;
  std::vector<Tensor> gradients;
  for (const Tensor& p : parameters)
    if (p.grad().defined()) gradients.push_back(p.grad());
  const double norm = std::sqrt(ops::sum_of_squares(gradients));
  if (max_norm <= 0 || !std::isfinite(norm) || norm <= max_norm) return norm;
  ops::scale_(gradients, float(max_norm / (norm + 1e-6)));
  return norm;
}

}  // namespace bytegrad::train
