#include "train/data/word_segments.h"

#include <fstream>

#include <nlohmann/json.hpp>

#include "base/error.h"
#include "io/json_file.h"
#include "tensor/creation.h"
#include "tokenizer/tfree_words.h"
#include "train/data/word_stream.h"

namespace bytegrad::train {
namespace {

std::string_view strip(std::string_view text) {
  const auto space = [](char c) { return c == ' ' || c == '\n' || c == '\t' || c == '\r' || c == '\f' || c == '\v'; };
  while (!text.empty() && space(text.front())) text.remove_prefix(1);
  while (!text.empty() && space(text.back())) text.remove_suffix(1);
  return text;
}

SegmentSample parse_sample(const nlohmann::json& line, const std::string& where) {
  BYTEGRAD_CHECK(line.is_array() && !line.empty(), where, ": expected a non-empty JSON list of segments");
  SegmentSample sample;
  sample.words.emplace_back(kTfreeEndOfText);
  sample.weights.push_back(0);
  for (const nlohmann::json& segment : line) {
    BYTEGRAD_CHECK(io::string_field_or(segment, "type") == "text" && segment.contains("content") &&
                       segment["content"].is_string() && segment.contains("has_loss") &&
                       segment["has_loss"].is_boolean(),
                   where, ": each segment must be {\"type\": \"text\", \"content\": string, \"has_loss\": bool}, got ",
                   segment.dump());
    const float weight = segment["has_loss"].get<bool>() ? 1.0f : 0.0f;
    std::vector<std::string> words;
    try {
      words = tokenizer::text_to_words(strip(segment["content"].get_ref<const std::string&>()));
    } catch (const std::exception& e) {
      throw Error(concat(where, ": ", e.what()));
    }
    for (std::string& word : words) {
      sample.words.push_back(std::move(word));
      sample.weights.push_back(weight);
    }
  }
  return sample;
}

}  // namespace

std::vector<SegmentSample> read_segment_samples(const std::filesystem::path& path) {
  std::ifstream in(path);
  BYTEGRAD_CHECK(in.good(), path.string(), ": cannot open the fine-tuning segments");
  std::vector<SegmentSample> samples;
  std::string line;
  for (int64_t number = 1; std::getline(in, line); ++number) {
    if (strip(line).empty()) continue;
    const std::string where = concat(path.string(), ":", number);
    const nlohmann::json parsed = nlohmann::json::parse(line, nullptr, false);
    BYTEGRAD_CHECK(!parsed.is_discarded(), where, ": not valid JSON");
    samples.push_back(parse_sample(parsed, where));
  }
  BYTEGRAD_CHECK(!samples.empty(), path.string(), ": no samples (expected one JSON list of segments per line)");
  return samples;
}

SegmentBatches::SegmentBatches(std::vector<SegmentSample> samples, const tokenizer::TrigramHasher& hasher,
                               int64_t batch_size, int64_t seq_len, const std::string& name)
    : samples_(std::move(samples)), hasher_(hasher), batch_size_(batch_size), seq_len_(seq_len) {
  BYTEGRAD_CHECK(!samples_.empty(), name, ": no samples");
  BYTEGRAD_CHECK(batch_size > 0 && seq_len > 0, name, ": batch size ", batch_size, " and sequence length ", seq_len,
                 " must be positive");
}

void SegmentBatches::set_position(int64_t position) {
  BYTEGRAD_CHECK(position >= 0 && position < size(), "SegmentBatches: position ", position, " outside the ", size(),
                 " samples");
  position_ = position;
}

WordBatch SegmentBatches::next_words() {
  // Row-major positions: a sample's words as inputs, the next words as targets, the rest padding
  // (no trigrams, no target, weight 0).
  std::vector<std::string> inputs, targets;
  std::vector<float> weights;
  for (int64_t b = 0; b < batch_size_; ++b) {
    const SegmentSample& sample = samples_[size_t(position_)];
    position_ = (position_ + 1) % size();
    const int64_t used = std::min<int64_t>(seq_len_, int64_t(sample.words.size()) - 1);
    for (int64_t t = 0; t < seq_len_; ++t) {
      const bool real = t < used;
      inputs.push_back(real ? sample.words[size_t(t)] : std::string());
      targets.push_back(real ? sample.words[size_t(t) + 1] : std::string());
      weights.push_back(real ? sample.weights[size_t(t) + 1] : 0.0f);
    }
  }
  const tokenizer::TrigramBatch bags = hasher_.encode_batch(inputs);
  const tokenizer::WordPatterns patterns = hasher_.encode_patterns(targets);
  const int64_t words = batch_size_ * seq_len_;
  WordBatch batch;
  batch.trigram_ids = from_vector(bags.ids, {bags.num_trigrams(), int64_t(bags.population)});
  batch.bag_offsets = from_vector(bags.word_offsets, {words + 1});
  batch.target_ids = from_vector(patterns.ids, {int64_t(patterns.ids.size())});
  batch.target_offsets = from_vector(patterns.offsets, {words + 1});
  batch.weights = from_vector(weights, {words});
  batch.batch = batch_size_;
  batch.tokens = seq_len_;
  return batch;
}

Batch SegmentBatches::next() {
  Batch batch;
  batch.words = std::make_shared<WordBatch>(next_words());
  batch.tokens = batch_size_ * seq_len_;
  const std::vector<float> weights = batch.words->weights.to_vector<float>();
  for (float w : weights) batch.counted_tokens += w > 0;
  return batch;
}

}  // namespace bytegrad::train
