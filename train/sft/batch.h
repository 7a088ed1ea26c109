// Supervised fine-tuning batches (seed 003): each example is one token sequence with a mask of
// the tokens the loss trains on; a batch shifts the sequences by one (inputs predict labels) and
// pads them to the longest one.
//
//   SftBatch batch = tokenize_prompt_and_output({"12+34="}, {"46"}, tokenizer);
//   // batch.input_ids, batch.labels: int64 [1, L-1]; batch.response_mask: float32 [1, L-1]
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <vector>

#include "tensor/tensor.h"
#include "tokenizer/tokenizer.h"

namespace bytegrad::train {

// One training sequence. trained[i] is 1 when ids[i] is a target of the loss (a response
// token), 0 for context (prompt, chat markup). Same length as ids.
struct SftExample {
  std::vector<tokenizer::TokenId> ids;
  std::vector<std::uint8_t> trained;
};

// Model inputs and targets for a batch of B examples whose longest sequence has L tokens.
struct SftBatch {
  Tensor input_ids;      // int64 [B, L-1]: ids[:-1], then zeros and a final EOS
  Tensor labels;         // int64 [B, L-1]: ids[1:], then EOS
  Tensor response_mask;  // float32 [B, L-1]: 1 where labels[b, t] is a trained token
  int64_t response_tokens = 0;  // the mask's sum
};

// The prompt encoded with the tokenizer's special tokens (BOS, where it adds one) and the
// response without, concatenated; the response tokens are the trained ones. With
// `append_eos` the tokenizer's EOS follows the response and is trained too, so that a model
// learns where an answer ends. Throws Error when the prompt encodes to no token (nothing would
// predict the response's first token) or when append_eos is set and there is no EOS.
SftExample prompt_response_example(const tokenizer::Tokenizer& tokenizer, const std::string& prompt,
                                   const std::string& response, bool append_eos);

// Pads `examples` into one batch by seed 003's rules. With L the longest length:
//   input_ids[b] = ids[:-1] + [0] * (pad - 1) + [eos]    (pad = L - len(ids); no padding if 0)
//   labels[b]    = ids[1:]  + [eos] * pad
//   response_mask[b, t] = trained[t + 1] for t < len(ids) - 1, else 0.
// Throws Error when `examples` is empty, every example has fewer than 2 tokens, or an example's
// mask length differs from its ids'.
SftBatch collate_sft_examples(std::span<const SftExample> examples, tokenizer::TokenId eos);

// Seed 003's tokenize_prompt_and_output: prompt_response_example for each pair (without an EOS
// after the response), then collate_sft_examples with the tokenizer's EOS. The response mask of
// example b covers [len(prompt_ids) - 1, len(ids) - 1). Throws Error when the lists differ in
// length or the tokenizer has no EOS.
SftBatch tokenize_prompt_and_output(const std::vector<std::string>& prompts, const std::vector<std::string>& outputs,
                                    const tokenizer::Tokenizer& tokenizer);

}  // namespace bytegrad::train
