#include "train/data/token_stream.h"

#include <cmath>
#include <numeric>

#include "tensor/creation.h"

namespace bytegrad::train {
namespace {

// splitmix64 (Steele et al. 2014): a tiny generator whose output is fixed by its definition,
// unlike std::shuffle's, so the split is the same with every standard library.
uint64_t splitmix64(uint64_t& state) {
  uint64_t z = (state += 0x9E3779B97F4A7C15ull);
  z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
  z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
  return z ^ (z >> 31);
}

}  // namespace

DocumentSplit split_documents(size_t count, double eval_fraction, uint64_t seed) {
  BYTEGRAD_CHECK(eval_fraction >= 0 && eval_fraction < 1, "split_documents: eval_fraction ", eval_fraction,
                 " is not in [0, 1)");
  std::vector<size_t> order(count);
  std::iota(order.begin(), order.end(), size_t(0));
  uint64_t state = seed;
  for (size_t i = order.size(); i > 1; --i) std::swap(order[i - 1], order[splitmix64(state) % i]);
  size_t held_out = size_t(std::llround(eval_fraction * double(count)));
  if (eval_fraction > 0 && held_out == 0) held_out = 1;
  held_out = std::min(held_out, count);
  DocumentSplit split;
  split.train.assign(order.begin(), order.end() - std::ptrdiff_t(held_out));
  split.eval.assign(order.end() - std::ptrdiff_t(held_out), order.end());
  return split;
}

PackedTokens pack_documents(const std::vector<std::vector<int32_t>>& documents, int32_t eos,
                            double eval_fraction, uint64_t seed) {
  const DocumentSplit split = split_documents(documents.size(), eval_fraction, seed);
  PackedTokens packed;
  for (const auto& [indices, part] : {std::pair{&split.train, &packed.train}, std::pair{&split.eval, &packed.eval}})
    for (size_t index : *indices) {
      part->insert(part->end(), documents[index].begin(), documents[index].end());
      part->push_back(eos);
    }
  return packed;
}

double unigram_entropy_nats(const TokenSource& tokens, int64_t vocab_size) {
  std::vector<int64_t> counts(size_t(vocab_size), 0);
  tokens.for_each_chunk([&](std::span<const int64_t> chunk) {
    for (int64_t t : chunk) {
      BYTEGRAD_CHECK(t >= 0 && t < vocab_size, "unigram_entropy: token ", t, " outside the vocabulary of ", vocab_size);
      ++counts[size_t(t)];
    }
  });
  double entropy = 0;
  for (int64_t c : counts)
    if (c > 0) {
      const double p = double(c) / double(tokens.size());
      entropy -= p * std::log(p);
    }
  return entropy;
}

TokenBatches::TokenBatches(TokenSource tokens, int64_t batch_size, int64_t seq_len, const std::string& name)
    : tokens_(std::move(tokens)), batch_size_(batch_size), seq_len_(seq_len) {
  BYTEGRAD_CHECK(batch_size > 0 && seq_len > 0, name, ": batch size ", batch_size, " and sequence length ", seq_len,
                 " must be positive");
  BYTEGRAD_CHECK(tokens_.size() > seq_len, name, ": ", tokens_.size(), " tokens are too few for one window of ",
                 seq_len + 1);
}

void TokenBatches::set_position(int64_t position) {
  BYTEGRAD_CHECK(position >= 0 && position < size(), "TokenBatches: position ", position, " outside the stream of ",
                 size(), " tokens");
  position_ = position;
}

Batch TokenBatches::next() {
  const TokenBatch tokens = next_tokens();
  return {tokens.inputs, tokens.targets, Tensor(), tokens.inputs.numel(), tokens.inputs.numel(), nullptr};
}

TokenBatch TokenBatches::next_tokens() {
  const TensorOptions ids{DType::Int64, kCPU};
  TokenBatch batch{empty({batch_size_, seq_len_}, ids), empty({batch_size_, seq_len_}, ids)};
  int64_t* inputs = batch.inputs.data<int64_t>();
  int64_t* targets = batch.targets.data<int64_t>();
  // The rows of the global batch are walked in order (each wraps around on its own), and this
  // rank reads its own.
  const int64_t first = rank_ * batch_size_;
  for (int64_t row = 0; row < world_size_ * batch_size_; ++row) {
    if (position_ + seq_len_ + 1 > size()) position_ = 0;
    if (row >= first && row < first + batch_size_) {
      const int64_t b = row - first;
      tokens_.read(position_, seq_len_, inputs + b * seq_len_);
      tokens_.read(position_ + 1, seq_len_, targets + b * seq_len_);
    }
    position_ += seq_len_;
  }
  return batch;
}

void TokenBatches::slice_for_rank(int64_t rank, int64_t world_size) {
  BYTEGRAD_CHECK(world_size > 0 && rank >= 0 && rank < world_size, "TokenBatches: rank ", rank,
                 " is not in a world of ", world_size);
  rank_ = rank;
  world_size_ = world_size;
}

}  // namespace bytegrad::train
