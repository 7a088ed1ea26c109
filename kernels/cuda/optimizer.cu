// The fused optimizer methods (Backend::adamw, sgd, sum_of_squares, scale): elementwise updates
// over each parameter buffer with a grid stride, in float32 with the CPU's formulas
// (kernels/cpu/optimizer.cpp), and the squared norm as per-block partial sums (block reductions
// in float64) that the host adds in a fixed order, so the result does not depend on scheduling.
// One launch per parameter buffer: a single launch over a table of every buffer, as torch's
// multi-tensor apply does, would save the launch cost of a model's many small parameters.
#include <vector>

#include "kernels/cuda/block_reduce.h"
#include "kernels/cuda/cuda_backend.h"
#include "kernels/cuda/cuda_check.h"
#include "kernels/cuda/cuda_compat.h"
#include "kernels/cuda/scratch.h"

namespace bytegrad::kernels::cuda {
namespace {

constexpr unsigned kThreads = 256;
constexpr int64_t kMaxBlocks = 1024;

int elementwise_blocks(int64_t n) {
  const int64_t blocks = (n + kThreads - 1) / kThreads;
  return int(blocks < kMaxBlocks ? blocks : kMaxBlocks);
}

#define BYTEGRAD_FOR_EACH_ELEMENT(i, n)                                               \
  for (int64_t i = int64_t(blockIdx.x) * blockDim.x + threadIdx.x; i < (n); \
       i += int64_t(blockDim.x) * gridDim.x)

__global__ void adamw_kernel(float* p, const float* grad, float* m, float* v, int64_t n,
                             float decay, float b1, float b2, float eps, float step_size,
                             float inverse_bias_correction2) {
  BYTEGRAD_FOR_EACH_ELEMENT(i, n) {
    const float g = grad[i];
    const float mi = b1 * m[i] + (1.0f - b1) * g;
    const float vi = b2 * v[i] + (1.0f - b2) * g * g;
    m[i] = mi;
    v[i] = vi;
    const float denom = sqrtf(vi) * inverse_bias_correction2 + eps;
    p[i] = p[i] * decay - step_size * mi / denom;
  }
}

__global__ void sgd_kernel(float* p, const float* grad, float* velocity, int64_t n,
                           float weight_decay, float learning_rate, float momentum) {
  BYTEGRAD_FOR_EACH_ELEMENT(i, n) {
    const float vi = momentum * velocity[i] + grad[i] + weight_decay * p[i];
    velocity[i] = vi;
    p[i] -= learning_rate * vi;
  }
}

__global__ void scale_kernel(float* x, int64_t n, float factor) {
  BYTEGRAD_FOR_EACH_ELEMENT(i, n) x[i] *= factor;
}

__global__ void sum_of_squares_kernel(const float* x, int64_t n, double* partials) {
  double sum = 0;
  BYTEGRAD_FOR_EACH_ELEMENT(i, n) sum += double(x[i]) * double(x[i]);
  sum = block_reduce(sum, 0.0, [](double a, double b) { return a + b; });
  if (threadIdx.x == 0) partials[blockIdx.x] = sum;
}

#undef BYTEGRAD_FOR_EACH_ELEMENT

template <typename... Params, typename... Args>
void launch_elementwise(const char* name, void (*kernel)(Params...), cudaStream_t stream,
                        int64_t n, Args&&... args) {
  if (n <= 0) return;
  launch(kernel, dim3(unsigned(elementwise_blocks(n))), dim3(kThreads), 0, stream,
         std::forward<Args>(args)...);
  BYTEGRAD_CUDA_CHECK_LAUNCH(name);
}

// The partial sums sum_of_squares_kernel writes for n elements: one per block.
int sum_of_squares_blocks(int64_t n) { return n <= 0 ? 0 : elementwise_blocks(n); }

}  // namespace

void CudaBackend::adamw(std::span<const AdamWParameter> parameters, const AdamWStep& step) {
  activate();
  for (const AdamWParameter& p : parameters)
    launch_elementwise("adamw", adamw_kernel, stream_, p.numel, p.param, p.grad, p.exp_avg,
                       p.exp_avg_sq, p.numel, p.decay, step.beta1, step.beta2, step.eps,
                       step.step_size, step.inverse_bias_correction2);
}

void CudaBackend::sgd(std::span<const SgdParameter> parameters, float learning_rate,
                      float momentum) {
  activate();
  for (const SgdParameter& p : parameters)
    launch_elementwise("sgd", sgd_kernel, stream_, p.numel, p.param, p.grad, p.velocity, p.numel,
                       p.weight_decay, learning_rate, momentum);
}

double CudaBackend::sum_of_squares(std::span<const std::span<const float>> buffers) {
  // Every buffer's partial sums land side by side in one device array, which comes back in one
  // copy and is added on the host in order.
  size_t total_blocks = 0;
  for (const std::span<const float>& buffer : buffers)
    total_blocks += size_t(sum_of_squares_blocks(int64_t(buffer.size())));
  if (total_blocks == 0) return 0.0;
  activate();
  const Scratch<double> partials(*this, total_blocks);
  size_t at = 0;
  for (const std::span<const float>& buffer : buffers) {
    const int64_t n = int64_t(buffer.size());
    launch_elementwise("sum_of_squares", sum_of_squares_kernel, stream_, n, buffer.data(), n,
                       partials.data() + at);
    at += size_t(sum_of_squares_blocks(n));
  }
  std::vector<double> host(total_blocks);
  copy_to_host(partials.data(), host.data(), partials.bytes());
  double sum = 0;
  for (const double partial : host) sum += partial;
  return sum;
}

void CudaBackend::scale(std::span<const std::span<float>> buffers, float factor) {
  activate();
  for (const std::span<float>& buffer : buffers) {
    const int64_t n = int64_t(buffer.size());
    launch_elementwise("scale", scale_kernel, stream_, n, buffer.data(), n, factor);
  }
}

}  // namespace bytegrad::kernels::cuda
