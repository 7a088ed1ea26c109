// Linear: y = x W^T + b over the last dim of x.
#pragma once

#include <cmath>

#include "autograd/functions.h"
#include "nn/module.h"
#include "nn/module_scope.h"
#include "tensor/creation.h"

namespace bytegrad::nn {

// How a Linear stores its weight. PyTorch's nn.Linear keeps [out, in]; Hugging Face's GPT-2
// uses Conv1D, which keeps [in, out]. Keeping each checkpoint's own layout lets it load as it is.
enum class WeightLayout { OutIn, InOut };

class Linear : public Module {
 public:
  // weight and bias start uniform in +-1/sqrt(in_features), as torch.nn.Linear; float32.
  Linear(int64_t in_features, int64_t out_features, bool bias, Generator& generator,
         WeightLayout layout = WeightLayout::OutIn)
      : layout_(layout) {
    const double bound = 1.0 / std::sqrt(double(in_features));
    const Shape shape = layout == WeightLayout::OutIn ? Shape{out_features, in_features}
                                                      : Shape{in_features, out_features};
    weight = uniform(shape, -bound, bound, {}, &generator);
    register_parameter("weight", &weight);
    if (bias) {
      this->bias = uniform({out_features}, -bound, bound, {}, &generator);
      register_parameter("bias", &this->bias);
    }
  }

  // x [..., in_features] -> [..., out_features].
  Tensor forward(const Tensor& x) const {
    const ModuleScope scope(this);
    const Tensor y = matmul(x, layout_ == WeightLayout::OutIn ? transpose(weight, 0, 1) : weight);
    return bias.defined() ? add(y, bias) : y;
  }

  Tensor weight;  // [out, in] (OutIn) or [in, out] (InOut)
  Tensor bias;    // [out], undefined without bias

 private:
  WeightLayout layout_;
};

}  // namespace bytegrad::nn
