// Token streams for language-model training: documents encoded and packed end to end with an
// EOS token after each, split into a training and a held-out part, and read back as batches of
// (input, next-token target) windows.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "tensor/tensor.h"
#include "train/batch_source.h"
#include "train/data/token_source.h"

namespace bytegrad::train {

struct PackedTokens {
  std::vector<int32_t> train;
  std::vector<int32_t> eval;
};

// Which documents train and which are held out: the indices 0 .. count - 1 shuffled with
// `seed`, the last eval_fraction of them (at least one when the fraction is positive) held out.
// pack_documents splits this way, so that any model trained on the same documents with the same
// seed and fraction is judged on the same held-out ones.
struct DocumentSplit {
  std::vector<size_t> train, eval;
};
DocumentSplit split_documents(size_t count, double eval_fraction, uint64_t seed);

// Shuffles the documents' order with `seed` (so a held-out part spans the whole corpus, not its
// last file), holds out the last `eval_fraction` of them (at least one when the fraction is
// positive), and packs each part as doc, EOS, doc, EOS, ...
PackedTokens pack_documents(const std::vector<std::vector<int32_t>>& documents, int32_t eos,
                            double eval_fraction, uint64_t seed);

// Entropy of the empirical unigram distribution of `tokens` in nats per token: the loss of the
// best model that ignores context, the baseline a language model must beat.
double unigram_entropy_nats(const TokenSource& tokens, int64_t vocab_size);

struct TokenBatch {
  Tensor inputs;   // [B, T] int64
  Tensor targets;  // [B, T] int64: inputs shifted left by one token
};

// Reads consecutive windows of seq_len + 1 tokens from a stream, wrapping around at its end,
// as llm.c's data loader does: each batch widens the tokens it needs straight from the source
// (mapped shards or an encoded buffer) into its int64 tensors, the only copy made. The position
// is all the state there is, so saving it and setting it back resumes the same sequence of batches.
class TokenBatches final : public BatchSource {
 public:
  // Throws Error naming `name` when the stream is shorter than one window.
  TokenBatches(TokenSource tokens, int64_t batch_size, int64_t seq_len, const std::string& name);

  TokenBatch next_tokens();
  // next_tokens() as the objectives take it: every position counts.
  Batch next() override;

  int64_t position() const override { return position_; }
  void set_position(int64_t position) override;
  void slice_for_rank(int64_t rank, int64_t world_size) override;
  int64_t size() const { return tokens_.size(); }
  int64_t tokens_per_batch() const { return batch_size_ * seq_len_; }

 private:
  TokenSource tokens_;
  int64_t batch_size_, seq_len_;
  int64_t position_ = 0;
  int64_t rank_ = 0, world_size_ = 1;  // this rank's share of the global batch (slice_for_rank)
};

}  // namespace bytegrad::train
