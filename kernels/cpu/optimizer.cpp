// CPU fused optimizer kernels: every parameter of a model in one parallel region. The buffers are
// cut into chunks of equal size, so that the thread team shares many small parameters (norm
// gains, biases) and a few large ones (embeddings, projections) evenly; each element's arithmetic
// is the textbook formula in float32, the same whichever chunk and thread computes it.
#include <algorithm>
#include <cmath>
#include <vector>

#include "kernels/cpu/cpu_backend.h"
#include "kernels/cpu/strided_loop.h"

namespace bytegrad::kernels::cpu {
namespace {

constexpr int64_t kChunkElements = 1 << 15;

// Elements [begin, end) of buffer `entry`.
struct Chunk {
  size_t entry;
  int64_t begin, end;
};

// The chunks covering buffers 0 .. count - 1, where numel_of(i) is buffer i's element count.
template <typename NumelOf>
std::vector<Chunk> chunks_of(size_t count, NumelOf numel_of, int64_t& total) {
  std::vector<Chunk> chunks;
  total = 0;
  for (size_t i = 0; i < count; ++i) {
    const int64_t n = numel_of(i);
    for (int64_t begin = 0; begin < n; begin += kChunkElements)
      chunks.push_back({i, begin, std::min(n, begin + kChunkElements)});
    total += n;
  }
  return chunks;
}

// Runs body(chunk_index, chunk) for every chunk, over the thread team when there is enough work.
template <typename Body>
void for_each_chunk(const std::vector<Chunk>& chunks, int64_t total, Body&& body) {
  const int64_t count = int64_t(chunks.size());
#pragma omp parallel for schedule(static) if (total >= kParallelThreshold && count > 1)
  for (int64_t c = 0; c < count; ++c) body(c, chunks[size_t(c)]);
}

}  // namespace

void CpuBackend::adamw(std::span<const AdamWParameter> parameters, const AdamWStep& step) {
  int64_t total = 0;
  const auto chunks = chunks_of(parameters.size(), [&](size_t i) { return parameters[i].numel; }, total);
  const float b1 = step.beta1, b2 = step.beta2, eps = step.eps;
  const float step_size = step.step_size, inv_sqrt_bias2 = step.inverse_bias_correction2;
  for_each_chunk(chunks, total, [&](int64_t, const Chunk& chunk) {
    const AdamWParameter& a = parameters[chunk.entry];
    float* p = a.param;
    float* m = a.exp_avg;
    float* v = a.exp_avg_sq;
    const float* grad = a.grad;
    const float decay = a.decay;
#pragma omp simd
    for (int64_t i = chunk.begin; i < chunk.end; ++i) {
      const float g = grad[i];
      m[i] = b1 * m[i] + (1.0f - b1) * g;
      v[i] = b2 * v[i] + (1.0f - b2) * g * g;
      const float denom = std::sqrt(v[i]) * inv_sqrt_bias2 + eps;
      p[i] = p[i] * decay - step_size * m[i] / denom;
    }
  });
}

void CpuBackend::sgd(std::span<const SgdParameter> parameters, float learning_rate, float momentum) {
  int64_t total = 0;
  const auto chunks = chunks_of(parameters.size(), [&](size_t i) { return parameters[i].numel; }, total);
  const float mu = momentum, lr = learning_rate;
  for_each_chunk(chunks, total, [&](int64_t, const Chunk& chunk) {
    const SgdParameter& s = parameters[chunk.entry];
    float* p = s.param;
    float* v = s.velocity;
    const float* grad = s.grad;
    const float wd = s.weight_decay;
#pragma omp simd
    for (int64_t i = chunk.begin; i < chunk.end; ++i) {
      v[i] = mu * v[i] + grad[i] + wd * p[i];
      p[i] -= lr * v[i];
    }
  });
}

double CpuBackend::sum_of_squares(std::span<const std::span<const float>> buffers) {
  int64_t total = 0;
  const auto chunks = chunks_of(buffers.size(), [&](size_t i) { return int64_t(buffers[i].size()); }, total);
  // One partial sum per chunk, added in chunk order: the result does not depend on the number
  // of threads.
  std::vector<double> partial(chunks.size(), 0.0);
  for_each_chunk(chunks, total, [&](int64_t c, const Chunk& chunk) {
    const float* x = buffers[chunk.entry].data();
    double sum = 0;
#pragma omp simd reduction(+ : sum)
    for (int64_t i = chunk.begin; i < chunk.end; ++i) sum += double(x[i]) * double(x[i]);
    partial[size_t(c)] = sum;
  });
  double sum = 0;
  for (double s : partial) sum += s;
  return sum;
}

void CpuBackend::scale(std::span<const std::span<float>> buffers, float factor) {
  int64_t total = 0;
  const auto chunks = chunks_of(buffers.size(), [&](size_t i) { return int64_t(buffers[i].size()); }, total);
  for_each_chunk(chunks, total, [&](int64_t, const Chunk& chunk) {
    float* x = buffers[chunk.entry].data();
#pragma omp simd
    for (int64_t i = chunk.begin; i < chunk.end; ++i) x[i] *= factor;
  });
}

}  // namespace bytegrad::kernels::cpu
