// Dropout (Srivastava et al. 2014): in training, zeroes each element with probability p and
// scales the survivors by 1 / (1 - p); in eval mode, the identity.
#pragma once

#include "nn/module.h"
#include "tensor/generator.h"

namespace bytegrad::nn {

class Dropout : public Module {
 public:
  // Draws masks from `generator`, which must outlive the module. Throws Error unless 0 <= p < 1.
  Dropout(double p, Generator& generator);
  // Same shape and dtype as x. With p == 0 or in eval mode, returns x itself.
  Tensor forward(const Tensor& x) const;
  // True when forward returns its input unchanged (p == 0 or eval mode), so that a fused op
  // with no dropout inside may stand in for the composed form.
  bool is_identity() const { return !is_training() || p_ == 0.0; }

 private:
  double p_;
  Generator* generator_;
};

}  // namespace bytegrad::nn
