// A Llama decode step at batch 1 on the CPU, planned once and replayed for every token: the
// weights' addresses, the shapes and the buffers are fixed when the plan is made, so a step
// allocates nothing, records no graph and dispatches no op; it calls the kernels directly, one
// shared job per fused product (kernels/cpu/fused_gemv.h) and one for attention over the cache
// (kernels/cpu/cached_attention.h). The same idea as a CUDA graph.
//
// One step, as llama2.c's forward reads (x the residual stream [hidden]):
//   x = embed_tokens[token]
//   per layer:  q, k, v = Wq, Wk, Wv rmsnorm(x)        one job; k and v land in the cache
//               RoPE on q and k (Hugging Face's half-split pairs, as nn::RotaryEmbedding)
//               x += Wo attention(q, cached k, cached v)
//               x += Wdown (silu(Wgate rmsnorm(x)) * Wup rmsnorm(x))   gate and up in one job
//   logits = head(rmsnorm(x))
//
// It shares the model's nn::KVCache (batch 1, float32), so a prompt is prefilled by the general
// path (batched matrix products) and the plan continues from there; its results match the
// general path's (tests/infer/llama_decode_plan_test.cpp checks logits to 1e-5 and tokens).
// Whether a step shares its products with helper threads is chosen from measured step times
// (infer/step_threads.h), so that two threads are not slower than one on a busy machine.
// infer::generate uses it wherever supports() says it applies.
#pragma once

#include <vector>

#include "infer/step_threads.h"
#include "kernels/cpu/fused_gemv.h"
#include "nn/kv_cache.h"
#include "nn/llama.h"

namespace bytegrad::infer {

class LlamaDecodePlan {
 public:
  // True when `model` is an nn::Llama whose weights are float32, contiguous and on the CPU,
  // without biases, and `cache` is its KV cache at batch 1 in float32 with its buffers written
  // (after a prefill). Anything else decodes through the general path.
  static bool supports(const nn::CausalLM& model, const nn::KVCache& cache);

  // Throws Error naming what does not fit when supports() is false. The model and the cache must
  // outlive the plan, and the model's weights must not change while it is in use.
  LlamaDecodePlan(const nn::CausalLM& model, nn::KVCache& cache);

  // Decodes `token` at position cache.length: writes its keys and values into the cache,
  // advances cache.length and returns the logits [1, 1, vocab], a buffer the next step
  // overwrites. Throws Error when the token is outside the vocabulary or the cache is full.
  const Tensor& step(int64_t token);

 private:
  // One decoder layer's weights (row-major [out, in]).
  struct Layer {
    const float *attention_norm, *wq, *wk, *wv, *wo;
    const float *mlp_norm, *gate, *up, *down;
  };

  void rms_norm(const float* weight);  // xb = rmsnorm(x) * weight
  void rotate(float* head_vectors, int64_t heads, int64_t position) const;
  void layer(size_t index, int64_t position);

  const nn::Llama& model_;
  nn::KVCache& cache_;
  int64_t hidden_, heads_, kv_heads_, head_dim_, mlp_, vocab_;
  double eps_;
  std::vector<Layer> layers_;
  const float *embedding_, *final_norm_, *classifier_;
  std::vector<float> cos_, sin_;  // RoPE tables [capacity, head_dim / 2]
  // The step's buffers: residual stream, normalised stream, queries, attention output, SwiGLU
  // hidden layer and its up products, attention scores [heads, capacity].
  std::vector<float> x_, xb_, q_, attended_, hidden_layer_, up_, scores_;
  Tensor logits_;  // [1, 1, vocab]
  std::vector<kernels::cpu::RowBlock> qkv_blocks_;  // q, then each key head, then each value head
  StepThreads threads_;  // whether steps share their products, from their measured times
};

}  // namespace bytegrad::infer
