// T-Free fine-tuning data: each sample a list of text segments, some of which the loss counts,
// as the original's instruct data. One JSON list per line of a JSONL file:
//   [{"type": "text", "content": "<|start_header_id|>user<|end_header_id|>\n\nHi", "has_loss": false},
//    {"type": "text", "content": "Hello!<|endoftext|>", "has_loss": true}]
// Each segment is stripped of surrounding whitespace and split into words on its own; a target
// word's loss weight is 1 if its segment has has_loss, else 0. Samples are not packed: each row
// holds one sample at positions 0 .. T - 1, cut at T words or padded with empty positions of
// weight 0. As in pre-training here (train/data/word_stream.h), a sample begins with
// "<|endoftext|>", so its first word is a target too.
#pragma once

#include <cstdint>
#include <filesystem>
#include <memory>
#include <string>
#include <vector>

#include "tokenizer/trigram_hasher.h"
#include "train/batch_source.h"
#include "train/word_batch.h"

namespace bytegrad::train {

struct SegmentSample {
  std::vector<std::string> words;  // "<|endoftext|>" then the segments' words
  std::vector<float> weights;      // weights[i]: the loss weight of words[i] as a target (0 for the first)
};

// Reads a JSONL file of segment lists. Throws Error naming the file and line for a line that is
// not a list of {"type": "text", "content": string, "has_loss": bool} objects, or a segment whose
// text is not valid UTF-8; an empty file is an error too.
std::vector<SegmentSample> read_segment_samples(const std::filesystem::path& path);

// Batches of B samples in file order, wrapping around; the position is the next sample's index.
class SegmentBatches final : public BatchSource {
 public:
  // Throws Error naming `name` when there are no samples or the sizes are not positive.
  SegmentBatches(std::vector<SegmentSample> samples, const tokenizer::TrigramHasher& hasher, int64_t batch_size,
                 int64_t seq_len, const std::string& name);

  Batch next() override;
  WordBatch next_words();

  int64_t position() const override { return position_; }
  void set_position(int64_t position) override;
  int64_t size() const { return int64_t(samples_.size()); }

 private:
  std::vector<SegmentSample> samples_;
  const tokenizer::TrigramHasher& hasher_;
  int64_t batch_size_, seq_len_;
  int64_t position_ = 0;
};

}  // namespace bytegrad::train
