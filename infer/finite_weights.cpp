#include "infer/finite_weights.h"

#include "tensor/finite.h"

namespace bytegrad::infer {

void require_finite_weights(const nn::Module& model, const std::string& source) {
  const std::string bad = ops::first_nonfinite(model.named_parameters());
  BYTEGRAD_CHECK(bad.empty(), source, ": weight '", bad,
                 "' holds NaN or infinite values (a diverged training run?); refusing to use it");
}

}  // namespace bytegrad::infer
