// The precision float32 matrix products may trade for speed, a process-wide setting as PyTorch's
// torch.backends.cuda.matmul.allow_tf32.
//
// TF32 keeps float32's 8-bit exponent but only 10 mantissa bits of each input (float32 has 23);
// products still accumulate in float32. NVIDIA's tensor cores multiply TF32 several times faster
// than float32, at a relative error near 1e-3 instead of 1e-7. Like PyTorch since 1.12 it is off
// by default: a user asks for the speed, and results do not silently lose precision.
#pragma once

namespace bytegrad::kernels {

// Whether CUDA float32 GEMMs may round their inputs to TF32. The CPU backend computes in full
// float32 whatever this says. Safe to call from any thread; products issued afterwards see it.
void set_allow_tf32(bool allow);
bool allow_tf32();

}  // namespace bytegrad::kernels
