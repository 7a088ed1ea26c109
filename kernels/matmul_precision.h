// The precision float32 matrix products may trade for speed: a process-wide setting, as PyTorch's
// torch.set_float32_matmul_precision (and its older switch torch.backends.cuda.matmul.allow_tf32).
//
//   "highest"  float32 inputs, float32 accumulation (cuBLAS CUBLAS_COMPUTE_32F). The default.
//   "high"     inputs rounded to TF32, float32 accumulation (CUBLAS_COMPUTE_32F_FAST_TF32).
//   "medium"   inputs rounded to bfloat16, float32 accumulation (CUBLAS_COMPUTE_32F_FAST_16BF).
//
// TF32 keeps float32's 8-bit exponent but only 10 of its 23 mantissa bits, bfloat16 only 7; the
// products still accumulate in float32. Tensor cores multiply both several times faster than
// float32 (bfloat16 twice as fast again as TF32 on an H100), at a relative error near 1e-3
// (TF32) or 1e-2 (bfloat16) instead of 1e-7. Like PyTorch since 1.12 the default is "highest":
// a user asks for the speed, and results do not silently lose precision. Only CUDA float32
// products read this; the CPU backend computes in full float32 whatever it says, and bfloat16,
// float16 and float64 products are unaffected.
#pragma once

#include <string>
#include <string_view>

namespace bytegrad::kernels {

enum class MatmulPrecision { Highest, High, Medium };

// Safe to call from any thread; products issued afterwards see the new setting.
void set_float32_matmul_precision(MatmulPrecision precision);
MatmulPrecision float32_matmul_precision();

// The names PyTorch uses: "highest", "high", "medium". An unknown name throws Error listing them.
MatmulPrecision parse_matmul_precision(std::string_view name);
std::string to_string(MatmulPrecision precision);

// The older switch, kept for its users: true sets "high", false "highest". allow_tf32() says
// whether float32 products may use a reduced-precision input format at all (true for "high" and
// "medium", as torch.backends.cuda.matmul.allow_tf32 reads after set_float32_matmul_precision).
void set_allow_tf32(bool allow);
bool allow_tf32();

}  // namespace bytegrad::kernels
