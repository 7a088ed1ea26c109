// Text generation with a KV cache, following Meta's Llama generate() (seed 004):
//
//   total_len = min(max_position_embeddings, max_gen_len + longest prompt)
//   a [B, total_len] token buffer holds each prompt, the rest is padding;
//   decoding starts at the shortest prompt's length: the first forward is the prefix
//   tokens[:, 0:min_prompt_len] (a causal prefill), then one position at a time through the cache;
//   where a row's prompt still has a token at the position, the prompt token is kept;
//   a row is done once it produces a stop token; decoding ends when every row is done.
//
//   GenerationOptions options;
//   options.temperature = 0;                       // greedy
//   options.stop_tokens = {*tokenizer.eos_id()};
//   GenerationResult out = generate(model, tokenizer.encode(text, {.add_special_tokens = true}), options);
//   std::string reply = tokenizer.decode(to_token_ids(out.tokens[0]));
#pragma once

#include <cstdint>
#include <concepts>
#include <functional>
#include <ranges>
#include <span>
#include <vector>

#include "infer/sampling.h"
#include "kernels/cpu/weight_rows.h"
#include "nn/causal_lm.h"
#include "tensor/quantized_matrix.h"
#include "tokenizer/token_id.h"

namespace bytegrad::infer {

struct GenerationOptions : SamplingOptions {
  int64_t max_gen_len = 64;  // new tokens per row at most
  // Also return each token's log-probability under the model (for the prompt too with echo).
  bool logprobs = false;
  // Return the prompt tokens ahead of the generated ones.
  bool echo = false;
  // Seeds the Generator the sampler draws from, so a seed reproduces a run.
  uint64_t seed = 0;
  // A row stops at the first of these it generates (e.g. the tokenizer's EOS); the stop token is
  // not part of the result.
  std::vector<int64_t> stop_tokens;
  // Called with (row, token) for each generated token of a row as soon as it is chosen, in
  // order, up to the row's first stop token (excluded) and max_gen_len tokens: for streaming.
  std::function<void(int64_t row, int64_t token)> on_token;
  // The format the decode steps stream the weights in (kernels/cpu/weight_rows.h). Float32
  // prefills the prompt through the general path and decodes one row through a LlamaDecodePlan
  // where it applies. BFloat16 and Int8Groups (groups of weight_group values) need one row of a
  // float32 Llama on the CPU; every position, the prompt's too, goes through a plan holding the
  // converted weights, as llama2.c's runq.c runs.
  kernels::cpu::WeightFormat weights = kernels::cpu::WeightFormat::Float32;
  int64_t weight_group = 64;
  // Matrices already in a format (a quantized model directory's, io::PretrainedModel::quantized):
  // when it is `weights`, the plan streams them as they are, in their own group size, and
  // converts nothing. Not owned; it must outlive the call.
  const QuantizedWeights* stored_weights = nullptr;
};

struct GenerationResult {
  // Per row: the generated tokens (after the prompt, or the prompt and them with echo), cut
  // before the first stop token.
  std::vector<std::vector<int64_t>> tokens;
  // Per row, with logprobs: log p(tokens[i] | the tokens before it) for each token of `tokens`;
  // the very first token of a prompt has no context and gets 0, as in Meta's code. Empty
  // without logprobs.
  std::vector<std::vector<double>> log_probs;
};

// Continues each of `prompt_tokens` (non-empty rows of ids in the vocabulary). Runs without
// recording gradients and in eval mode (dropout off), restoring the model's mode afterwards.
// Throws Error for an empty batch or prompt, a prompt longer than max_position_embeddings, a
// negative max_gen_len or invalid sampling options, and for converted weights on a model or batch
// a LlamaDecodePlan cannot decode.
GenerationResult generate(nn::CausalLM& model, const std::vector<std::vector<int64_t>>& prompt_tokens,
                          const GenerationOptions& options);

// One prompt as a tokenizer encodes it (int32 ids, tokenizer/token_id.h: a std::vector or a
// span of them): generate() on the batch {prompt}, the ids widened to the model's int64;
// out.tokens has one row. A template only so that a braced list such as {{1, 2}} still means
// the batch overload above.
template <std::ranges::contiguous_range Ids>
  requires std::same_as<std::ranges::range_value_t<Ids>, tokenizer::TokenId>
GenerationResult generate(nn::CausalLM& model, const Ids& prompt, const GenerationOptions& options) {
  const std::vector<std::vector<int64_t>> batch = {
      std::vector<int64_t>(std::ranges::begin(prompt), std::ranges::end(prompt))};
  return generate(model, batch, options);
}

// The model's int64 ids (a row of GenerationResult::tokens) as the tokenizer's int32 ids, for
// Tokenizer::decode. Throws Error naming the id when one does not fit in int32.
std::vector<tokenizer::TokenId> to_token_ids(std::span<const int64_t> ids);

// True when a row that got `generated` new tokens after a `prompt_length`-token prompt was cut
// by the model's context (`context` = max_position_embeddings) before `max_gen_len` tokens: it
// fills the context, so neither max_gen_len nor a stop token ended it.
bool ended_by_context(int64_t prompt_length, int64_t generated, int64_t max_gen_len, int64_t context);

}  // namespace bytegrad::infer
