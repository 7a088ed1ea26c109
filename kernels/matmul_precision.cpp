#include "kernels/matmul_precision.h"

#include <atomic>

#include "base/error.h"

namespace bytegrad::kernels {
namespace {

std::atomic<MatmulPrecision> current{MatmulPrecision::Highest};

}  // namespace

void set_float32_matmul_precision(MatmulPrecision precision) {
  current.store(precision, std::memory_order_relaxed);
}

MatmulPrecision float32_matmul_precision() { return current.load(std::memory_order_relaxed); }

MatmulPrecision parse_matmul_precision(std::string_view name) {
  if (name == "highest") return MatmulPrecision::Highest;
  if (name == "high") return MatmulPrecision::High;
  if (name == "medium") return MatmulPrecision::Medium;
  throw Error(concat("float32 matmul precision '", name,
                     "' is unknown; expected highest (float32), high (TF32) or medium (bfloat16)"));
}

std::string to_string(MatmulPrecision precision) {
  switch (precision) {
    case MatmulPrecision::Highest: return "highest";
    case MatmulPrecision::High: return "high";
    case MatmulPrecision::Medium: return "medium";
  }
  return "unknown";
}

void set_allow_tf32(bool allow) {
  set_float32_matmul_precision(allow ? MatmulPrecision::High : MatmulPrecision::Highest);
}

bool allow_tf32() { return float32_matmul_precision() != MatmulPrecision::Highest; }

}  // namespace bytegrad::kernels
