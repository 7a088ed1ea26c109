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
// It shares the model's nn::KVCache (batch 1, float32), so a prompt can be prefilled by the
// general path (batched matrix products) and the plan continue from there; in float32 its
// results match the general path's (tests/infer/llama_decode_plan_test.cpp checks logits to
// 1e-5 and tokens). It can also stream the weights as bfloat16 or int8 groups, a half or about
// a quarter of the bytes, for small runtimes (kernels/cpu/weight_rows.h).
// Whether a step shares its products with helper threads is chosen from measured step times
// (infer/step_threads.h), so that two threads are not slower than one on a busy machine.
// infer::generate uses it wherever supports() says it applies.
#pragma once

#include <cstdint>
#include <vector>

#include "infer/step_threads.h"
#include "kernels/cpu/aligned_vector.h"
#include "kernels/cpu/fused_gemv.h"
#include "kernels/cpu/weight_rows.h"
#include "nn/kv_cache.h"
#include "nn/llama.h"
#include "tensor/quantized_matrix.h"

namespace bytegrad::infer {

class LlamaDecodePlan {
 public:
  using WeightFormat = kernels::cpu::WeightFormat;

  // True when `model` is an nn::Llama whose weights are float32, contiguous and on the CPU,
  // without biases, and `cache` is its KV cache, either not written yet or at batch 1 in
  // float32. Anything else decodes through the general path. Matrices that `stored` holds in
  // `format` may have released float32 parameters (io::LoadOptions): they are not read.
  static bool supports(const nn::CausalLM& model, const nn::KVCache& cache,
                       WeightFormat format = WeightFormat::Float32, const QuantizedWeights* stored = nullptr);

  // Throws Error naming what does not fit when supports() is false. With a `format` other than
  // Float32 the plan keeps its own copy of every matrix in that format (kernels/cpu/weight_rows.h),
  // the embedding and a tied head included; Int8Groups uses groups of `group` values, halved
  // until it divides every row length (as llama2.c's export does). An unwritten cache gets its
  // buffers here. The model and the cache must outlive the plan, and the model's weights must
  // not change while it is in use.
  // With `stored` matrices in `format` (a quantized model directory's, io/quantized_weights.h)
  // the plan streams those as they are, in their group size, and converts nothing; it throws
  // Error naming a matrix they lack or whose shape differs from the model's. Stored matrices in
  // another format are ignored (the model's float32 weights are converted). `stored` must
  // outlive the plan.
  LlamaDecodePlan(const nn::CausalLM& model, nn::KVCache& cache, WeightFormat format = WeightFormat::Float32,
                  int64_t group = 64, const QuantizedWeights* stored = nullptr);

  // Decodes `token` at position cache.length: writes its keys and values into the cache,
  // advances cache.length and returns the logits [1, 1, vocab], a buffer the next step
  // overwrites. Throws Error when the token is outside the vocabulary or the cache is full.
  const Tensor& step(int64_t token);

  // Whether every logit of the last step is finite, checked on this thread: an op such as
  // ops::all_finite would enter an OpenMP region every token, and on two cores the OpenMP
  // workers' spinning after it competes with the products' helper threads.
  bool logits_finite() const;

  // The group size Int8Groups weights use (0 for other formats).
  int64_t group() const { return format_ == WeightFormat::Int8Groups ? group_ : 0; }

  // How many matrices the plan converted from the model's float32 weights (none with stored
  // matrices of its format, or in float32).
  int64_t converted_matrices() const { return int64_t(converted_.size()); }

 private:
  using WeightRows = kernels::cpu::WeightRows;

  // One decoder layer's weights ([out, in]).
  struct Layer {
    const float* attention_norm;
    WeightRows wq, wk, wv, wo;
    const float* mlp_norm;
    WeightRows gate, up, down;
  };
  // `weight`, the parameter `name`, in the plan's format: stored, converted or as it is.
  WeightRows matrix(const std::string& name, const Tensor& weight);
  void embed(int64_t token);                 // x = the token's row of the embedding
  void rms_norm(const float* weight);        // xb = rmsnorm(x) * weight
  void rotate(float* head_vectors, int64_t heads, int64_t position) const;
  void layer(size_t index, int64_t position);

  const nn::Llama& model_;
  nn::KVCache& cache_;
  WeightFormat format_;
  int64_t group_;
  int64_t hidden_, heads_, kv_heads_, head_dim_, mlp_, vocab_;
  double eps_;
  const QuantizedWeights* stored_;  // null unless stored in the plan's format
  // Matrices converted to the plan's format: tensors, so that they come from the CPU allocator's
  // huge pages (kernels/cpu/block_cache.cpp) as the model's weights do. Grows once, in the
  // constructor.
  std::vector<QuantizedMatrix> converted_;
  std::vector<Layer> layers_;
  WeightRows embedding_, classifier_;
  const float* final_norm_;
  std::vector<float> cos_, sin_;  // RoPE tables [capacity, head_dim / 2]
  // The step's buffers: residual stream, normalised stream, queries, attention output, SwiGLU
  // hidden layer and its up products, attention scores [heads, capacity]. Aligned, so that two
  // plans over the same weights give the same bits wherever their buffers lie.
  kernels::cpu::AlignedVector<float> x_, xb_, q_, attended_, hidden_layer_, up_, scores_;
  Tensor logits_;  // [1, 1, vocab]
  std::vector<kernels::cpu::RowBlock> qkv_blocks_;  // q, then each key head, then each value head
  // Whether steps share their products, from measured times; shared by this thread's plans of
  // the same shape (step_threads_for).
  StepThreads& threads_;
};

}  // namespace bytegrad::infer
