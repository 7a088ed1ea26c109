#include "infer/finite_weights.h"

#include "tensor/finite.h"

namespace bytegrad::infer {

void require_finite_weights(const nn::Module& model, const std::string& source) {
  // Released parameters (a quantized directory's matrices, held only as stored) are not here to
  // check; io::first_nonfinite_matrix checks what stands in for them.
  std::vector<std::pair<std::string, Tensor>> resident;
  for (auto& [name, parameter] : model.named_parameters())
    if (parameter.storage()->resident()) resident.emplace_back(name, parameter);
  const std::string bad = ops::first_nonfinite(resident);
  BYTEGRAD_CHECK(bad.empty(), source, ": weight '", bad,
                 "' holds NaN or infinite values (a diverged training run?); refusing to use it");
}

}  // namespace bytegrad::infer
