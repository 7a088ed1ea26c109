// Plugging the soft encoder into its host: the host's held-out language-model loss with a given
// input table (its own, or the encoder's), and end-to-end fine-tuning of the encoder through the
// host's next-token loss, with the host frozen or trained along.
#pragma once

#include <cstdint>
#include <filesystem>
#include <functional>
#include <string>
#include <vector>

#include "nn/causal_lm.h"
#include "nn/soft_encoder.h"
#include "tokenizer/tokenizer.h"
#include "train/metrics.h"
#include "train/data/token_source.h"
#include "train/soft_encoder/token_dataset.h"

namespace bytegrad::train {

// Where the host's text comes from and how it was split when the host trained: with the same
// paths, delimiter, eval_fraction and seed as the host's run config, the held-out part is the
// one the host never trained on.
struct HostTextOptions {
  std::vector<std::filesystem::path> paths = {};
  std::string document_delimiter = {};
  double eval_fraction = 0.02;
  uint64_t seed = 1337;
  int64_t batch_size = 16;
  int64_t seq_len = 64;
  int64_t eval_batches = 8;  // held-out batches per loss (always the same ones)
};

struct HostText {
  TokenSource train;
  TokenSource eval;
};

// Reads and encodes the documents of `options` with the host's tokenizer, packed with its EOS.
// Throws Error naming `source` when the tokenizer has no EOS or nothing is held out.
HostText read_host_text(const HostTextOptions& options, const tokenizer::Tokenizer& tokenizer,
                        const std::string& source);

// The host's mean next-token loss over the first eval_batches held-out windows, its inputs
// embedded by `table` [vocab, hidden] instead of its own table; eval mode, no gradients.
double host_heldout_loss(const nn::CausalLM& host, const Tensor& table, const TokenSource& eval,
                         const HostTextOptions& options);

struct FinetuneOptions {
  int64_t steps = 0;            // 0: no fine-tuning
  double learning_rate = 3e-4;  // AdamW's peak; warmup then cosine to a tenth
  int64_t warmup_steps = 10;
  bool freeze_host = true;      // train the encoder only
  double grad_clip = 1.0;
};

// Fine-tunes `encoder` (and `host` unless frozen) on the host's next-token loss over `train`
// windows: each step encodes the batch's distinct ordinary tokens, feeds their embeddings to the
// host (special tokens keep the host's rows) and backpropagates the loss into the encoder.
// Calls on_step after each step with the estimated seconds left. Leaves a frozen host's
// parameters requiring gradients again.
void finetune_through_host(nn::CausalLM& host, nn::SoftByteEncoder& encoder, const TokenDataset& data,
                           const TokenSource& train, const HostTextOptions& text, const FinetuneOptions& options,
                           const std::function<void(const MetricsRecord&, double eta_seconds)>& on_step);

}  // namespace bytegrad::train
