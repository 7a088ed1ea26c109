// The optimizer kernels: elementwise updates over each parameter buffer with a grid stride, and
// the squared norm as per-block partial sums (block reductions in float64) that the host adds in
// a fixed order, so the result does not depend on scheduling.
#include "kernels/cuda/block_reduce.cuh"
#include "kernels/cuda/cuda_check.h"
#include "kernels/cuda/optimizer_kernels.h"

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
  sum = block_reduce(sum, SumOp{});
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

}  // namespace

void adamw_update(cudaStream_t stream, float* param, const float* grad, float* exp_avg,
                  float* exp_avg_sq, int64_t n, float decay, float beta1, float beta2, float eps,
                  float step_size, float inverse_bias_correction2) {
  launch_elementwise("adamw", adamw_kernel, stream, n, param, grad, exp_avg, exp_avg_sq, n, decay,
                     beta1, beta2, eps, step_size, inverse_bias_correction2);
}

void sgd_update(cudaStream_t stream, float* param, const float* grad, float* velocity, int64_t n,
                float weight_decay, float learning_rate, float momentum) {
  launch_elementwise("sgd", sgd_kernel, stream, n, param, grad, velocity, n, weight_decay,
                     learning_rate, momentum);
}

void scale_buffer(cudaStream_t stream, float* x, int64_t n, float factor) {
  launch_elementwise("scale", scale_kernel, stream, n, x, n, factor);
}

int sum_of_squares_blocks(int64_t n) { return n <= 0 ? 0 : elementwise_blocks(n); }

void sum_of_squares_partials(cudaStream_t stream, const float* x, int64_t n, double* partials) {
  launch_elementwise("sum_of_squares", sum_of_squares_kernel, stream, n, x, n, partials);
}

}  // namespace bytegrad::kernels::cuda
