#include "train/data/word_stream.h"

#include <unordered_map>

#include "base/error.h"
#include "tensor/creation.h"
#include "tokenizer/tfree_words.h"
#include "train/data/aligned_memory_map.h"
#include "train/data/token_stream.h"

namespace bytegrad::train {

std::vector<std::string> read_word_documents(const std::string& memory_map, const CorpusOptions& corpus) {
  if (memory_map.empty()) return read_text_corpus(corpus).documents;
  std::vector<std::string> documents;
  if (std::filesystem::exists(memory_map + ".indices.bin")) {
    const AlignedMemoryMap aligned(memory_map);
    for (int64_t g = 0; g < aligned.size(); ++g)
      for (std::string_view chunk : aligned.group(g)) documents.emplace_back(chunk);
  } else {
    const MemoryMap map(memory_map);
    for (int64_t d = 0; d < map.size(); ++d) documents.emplace_back(map[d]);
  }
  BYTEGRAD_CHECK(!documents.empty(), memory_map, ": the MemoryMap holds no documents");
  return documents;
}

WordCorpus split_into_words(const std::vector<std::string>& documents, const tokenizer::TrigramHasher& hasher,
                            double eval_fraction, uint64_t seed) {
  std::vector<std::vector<std::string>> split(documents.size());
#pragma omp parallel for schedule(dynamic, 64)
  for (size_t d = 0; d < documents.size(); ++d) split[d] = tokenizer::text_to_words(documents[d]);

  auto table = std::make_shared<WordTable>();
  std::unordered_map<std::string, int32_t> ids;
  const auto intern = [&](const std::string& word) {
    const auto [it, added] = ids.try_emplace(word, int32_t(table->words.size()));
    if (added) table->words.push_back(word);
    return it->second;
  };
  table->end_of_text = intern(std::string(kTfreeEndOfText));
  std::vector<std::vector<int32_t>> id_documents;
  id_documents.reserve(split.size());
  for (const std::vector<std::string>& words : split) {
    if (words.empty()) continue;
    std::vector<int32_t>& document = id_documents.emplace_back();
    for (const std::string& word : words) document.push_back(intern(word));
  }
  BYTEGRAD_CHECK(!id_documents.empty(), "T-Free data: none of the ", documents.size(), " documents has a word");
  PackedTokens packed = pack_documents(id_documents, table->end_of_text, eval_fraction, seed);

  table->counts.assign(table->words.size(), 0);
  for (int32_t id : packed.train) ++table->counts[size_t(id)];
  table->population = hasher.config().population;
  table->rows.resize(table->words.size());
  table->patterns.resize(table->words.size());
#pragma omp parallel for schedule(dynamic, 256)
  for (size_t w = 0; w < table->words.size(); ++w) {
    hasher.append_word_rows(table->words[w], table->rows[w]);
    table->patterns[w] = hasher.word_pattern(table->words[w]);
  }
  return {std::move(table), std::move(packed.train), std::move(packed.eval)};
}

WordBatches::WordBatches(std::shared_ptr<const WordTable> table, std::vector<int32_t> stream, int64_t batch_size,
                         int64_t seq_len, const std::string& name)
    : table_(std::move(table)), stream_(std::move(stream)), batch_size_(batch_size), seq_len_(seq_len) {
  BYTEGRAD_CHECK(batch_size > 0 && seq_len > 0, name, ": batch size ", batch_size, " and sequence length ", seq_len,
                 " must be positive");
  BYTEGRAD_CHECK(size() > seq_len, name, ": ", size(), " words are too few for one window of ", seq_len + 1);
}

void WordBatches::set_position(int64_t position) {
  BYTEGRAD_CHECK(position >= 0 && position < size(), "WordBatches: position ", position, " outside the stream of ",
                 size(), " words");
  position_ = position;
}

WordBatch WordBatches::next_words(std::vector<int32_t>* inputs_out, std::vector<int32_t>* targets_out) {
  const int64_t words = batch_size_ * seq_len_;
  std::vector<int32_t> inputs, targets;
  inputs.reserve(size_t(words));
  targets.reserve(size_t(words));
  for (int64_t b = 0; b < batch_size_; ++b) {
    if (position_ + seq_len_ + 1 > size()) position_ = 0;
    inputs.insert(inputs.end(), stream_.begin() + position_, stream_.begin() + position_ + seq_len_);
    targets.insert(targets.end(), stream_.begin() + position_ + 1, stream_.begin() + position_ + seq_len_ + 1);
    position_ += seq_len_;
  }
  const WordTable& table = *table_;
  std::vector<int64_t> trigram_ids, bag_offsets{0}, target_ids, target_offsets{0}, positions;
  positions.reserve(size_t(words));
  for (int64_t i = 0; i < words; ++i) {
    const auto& rows = table.rows[size_t(inputs[size_t(i)])];
    trigram_ids.insert(trigram_ids.end(), rows.begin(), rows.end());
    bag_offsets.push_back(int64_t(trigram_ids.size()) / table.population);
    const auto& pattern = table.patterns[size_t(targets[size_t(i)])];
    target_ids.insert(target_ids.end(), pattern.begin(), pattern.end());
    target_offsets.push_back(int64_t(target_ids.size()));
    // A row starts at position 0, and so does every document an end of text begins.
    const bool starts = i % seq_len_ == 0 || inputs[size_t(i)] == table.end_of_text;
    positions.push_back(starts ? 0 : positions.back() + 1);
  }
  WordBatch batch;
  const int64_t trigrams = int64_t(trigram_ids.size()) / table.population;
  batch.trigram_ids = from_vector(trigram_ids, {trigrams, table.population});
  batch.bag_offsets = from_vector(bag_offsets, {words + 1});
  batch.target_ids = from_vector(target_ids, {int64_t(target_ids.size())});
  batch.target_offsets = from_vector(target_offsets, {words + 1});
  batch.weights = ones({words});
  batch.position_ids = from_vector(positions, {batch_size_, seq_len_});
  batch.batch = batch_size_;
  batch.tokens = seq_len_;
  if (inputs_out) *inputs_out = std::move(inputs);
  if (targets_out) *targets_out = std::move(targets);
  return batch;
}

Batch WordBatches::next() {
  Batch batch;
  batch.words = std::make_shared<WordBatch>(next_words());
  batch.tokens = batch_size_ * seq_len_;
  batch.counted_tokens = batch.tokens;
  return batch;
}

}  // namespace bytegrad::train
