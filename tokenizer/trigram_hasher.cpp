#include "tokenizer/trigram_hasher.h"

#include <algorithm>
#include <charconv>
#include <stdexcept>
#include <unordered_set>

#include "tokenizer/md5.h"
#include "tokenizer/tfree_unicode_tables.h"

namespace bytegrad::tokenizer {
namespace {

uint32_t trigram_id_at(std::string_view bytes, std::size_t i) {
  return uint32_t(uint8_t(bytes[i])) | uint32_t(uint8_t(bytes[i + 1])) << 8 | uint32_t(uint8_t(bytes[i + 2])) << 16;
}

bool is_edge_trigram(uint32_t trigram_id) { return (trigram_id & 0xFF) == ' ' || (trigram_id >> 16) == ' '; }

// The lowercase overlap applies to trigrams of ASCII letters and spaces with an uppercase letter.
// Returns the lowercased trigram's id, or the same id when the rule does not apply.
uint32_t lowercase_partner(uint32_t trigram_id) {
  uint32_t lower = 0;
  bool has_upper = false;
  for (int i = 0; i < 3; ++i) {
    const uint32_t byte = (trigram_id >> (8 * i)) & 0xFF;
    const bool upper = byte >= 'A' && byte <= 'Z';
    if (!upper && byte != ' ' && !(byte >= 'a' && byte <= 'z')) return trigram_id;
    has_upper |= upper;
    lower |= (upper ? byte + 32 : byte) << (8 * i);
  }
  return has_upper ? lower : trigram_id;
}

void append_number(std::string& out, uint64_t value) {
  char buffer[24];
  const auto end = std::to_chars(buffer, buffer + sizeof buffer, value).ptr;
  out.append(buffer, end);
}


}  // namespace

void TrigramHashConfig::validate() const {
  if (population < 1 || vocab_size < population || vocab_size >= (int64_t(1) << 31))
    throw std::invalid_argument("T-Free hash config: need 1 <= population (" + std::to_string(population) +
                                ") <= vocab_size (" + std::to_string(vocab_size) + ") < 2^31");
  if (lowercase_overlap < 0 || lowercase_overlap > population)
    throw std::invalid_argument("T-Free hash config: lowercase_overlap " + std::to_string(lowercase_overlap) +
                                " is outside [0, population = " + std::to_string(population) + "]");
}

bool is_tfree_special_word(std::string_view word) { return word.find("<|") != std::string_view::npos; }

std::vector<uint32_t> word_trigram_ids(std::string_view word) {
  std::vector<uint32_t> ids;
  if (word.empty()) return ids;
  std::string padded;
  padded.reserve(word.size() + 2);
  padded.append(" ").append(word).append(" ");
  // Words are short, and a linear search is fastest for them; a long word gets a set instead, so
  // that a megabyte-long word costs linear time.
  constexpr std::size_t kLinearSearchLimit = 64;
  std::unordered_set<uint32_t> seen;
  for (std::size_t i = 0; i + 3 <= padded.size(); ++i) {
    const uint32_t id = trigram_id_at(padded, i);
    const bool is_new = padded.size() <= kLinearSearchLimit ? std::find(ids.begin(), ids.end(), id) == ids.end()
                                                            : seen.insert(id).second;
    if (is_new) ids.push_back(id);
  }
  return ids;
}

TrigramHasher::TrigramHasher(TrigramHashConfig config)
    : config_(config), pages_(std::make_unique<std::atomic<Page*>[]>(kPages)) {
  config_.validate();
}

TrigramHasher::~TrigramHasher() { clear_cache(); }

std::vector<int32_t> TrigramHasher::plain_row(uint32_t trigram_id) const {
  std::vector<int32_t> row;
  row.reserve(config_.population);
  std::string key;
  for (int k = 0; k < config_.population; ++k) {
    // Rejection sampling: draw j = 0, 1, ... until the hash gives an id the row lacks.
    for (uint64_t j = 0;; ++j) {
      key.clear();
      append_number(key, trigram_id);
      key += '_';
      append_number(key, uint64_t(k));
      key += '_';
      append_number(key, j);
      const int32_t id = int32_t(md5_mod(key, uint64_t(config_.vocab_size)));
      if (std::find(row.begin(), row.end(), id) == row.end()) {
        row.push_back(id);
        break;
      }
    }
  }
  std::sort(row.begin(), row.end());
  return row;
}

std::vector<int32_t> TrigramHasher::trigram_row(uint32_t trigram_id) const {
  if (trigram_id >= (1u << 24))
    throw std::invalid_argument("T-Free trigram id " + std::to_string(trigram_id) + " is not below 2^24");
  std::vector<int32_t> row = plain_row(trigram_id);
  const uint32_t partner = lowercase_partner(trigram_id);
  if (config_.lowercase_overlap > 0 && partner != trigram_id) {
    const std::vector<int32_t> lower = plain_row(partner);
    const int m = config_.population, k = config_.lowercase_overlap;
    std::copy(lower.begin() + (m - k), lower.end(), row.begin() + (m - k));
  }
  return row;
}

void TrigramHasher::copy_row(uint32_t trigram_id, int32_t* out) const {
  std::atomic<Page*>& page_slot = pages_[trigram_id >> 8];
  std::atomic<const int32_t*>* row_slot = nullptr;
  if (Page* page = page_slot.load(std::memory_order_acquire)) {
    row_slot = &page->rows[trigram_id & 0xFF];
    if (const int32_t* row = row_slot->load(std::memory_order_acquire)) {
      std::copy_n(row, config_.population, out);
      return;
    }
  }
  // Hashed outside the lock: two threads may both compute a row; the first one stored is kept.
  const std::vector<int32_t> row = trigram_row(trigram_id);
  std::copy(row.begin(), row.end(), out);
  std::lock_guard lock(fill_mutex_);
  Page* page = page_slot.load(std::memory_order_relaxed);
  if (!page) {
    page = new Page();
    page_slot.store(page, std::memory_order_release);
  }
  row_slot = &page->rows[trigram_id & 0xFF];
  if (row_slot->load(std::memory_order_relaxed)) return;
  int32_t* stored = new int32_t[row.size()];
  std::copy(row.begin(), row.end(), stored);
  row_slot->store(stored, std::memory_order_release);
  ++row_count_;
}

std::vector<int32_t> TrigramHasher::special_word_row(std::string_view word) const {
  {
    std::lock_guard lock(special_mutex_);
    if (auto it = special_rows_.find(std::string(word)); it != special_rows_.end()) return it->second;
  }
  std::vector<int32_t> row;
  row.reserve(config_.population);
  const uint64_t v = uint64_t(config_.vocab_size);
  const int k = config_.lowercase_overlap;
  for (int i = 0; i < config_.population - k; ++i) {
    std::string key(word);
    key += '_';
    append_number(key, uint64_t(i));
    row.push_back(int32_t(md5_mod(key, v)));
  }
  const std::string lower = python_lower(std::string(word));
  for (int i = 0; i < k; ++i) {
    std::string key = lower + "_lower_";
    append_number(key, uint64_t(i));
    row.push_back(int32_t(md5_mod(key, v)));
  }
  std::lock_guard lock(special_mutex_);
  special_rows_.try_emplace(std::string(word), row);
  return row;
}

int64_t TrigramHasher::append_word_rows(std::string_view word, std::vector<int64_t>& ids) const {
  if (word.empty()) return 0;
  if (is_tfree_special_word(word)) {
    const std::vector<int32_t> row = special_word_row(word);
    ids.insert(ids.end(), row.begin(), row.end());
    return 1;
  }
  const std::vector<uint32_t> trigrams = word_trigram_ids(word);
  const int m = config_.population;
  std::vector<int32_t> row(m);
  for (uint32_t trigram : trigrams) {
    copy_row(trigram, row.data());
    ids.insert(ids.end(), row.begin(), row.end());
  }
  return int64_t(trigrams.size());
}

std::vector<int64_t> TrigramHasher::word_pattern(std::string_view word) const {
  // Gathered as int32 in a reused buffer: ordering the ids is most of the cost of a pattern once
  // the rows are cached.
  thread_local std::vector<int32_t> gathered;
  gathered.clear();
  if (word.empty()) return {};
  if (is_tfree_special_word(word)) {
    gathered = special_word_row(word);
    std::sort(gathered.begin(), gathered.end());
  } else {
    // Rows are sorted unless the lowercase overlap rewrote their tail; each is sorted as it comes
    // and merged into the sorted prefix, cheaper than sorting the whole gather.
    const std::size_t m = std::size_t(config_.population);
    for (uint32_t trigram : word_trigram_ids(word)) {
      const std::size_t start = gathered.size();
      gathered.resize(start + m);
      copy_row(trigram, gathered.data() + start);
      if (config_.lowercase_overlap > 0) std::sort(gathered.begin() + std::ptrdiff_t(start), gathered.end());
      std::inplace_merge(gathered.begin(), gathered.begin() + std::ptrdiff_t(start), gathered.end());
    }
  }
  return std::vector<int64_t>(gathered.begin(), std::unique(gathered.begin(), gathered.end()));
}

WordIdSets TrigramHasher::word_id_sets(std::string_view word) const {
  WordIdSets sets;
  if (word.empty()) return sets;
  const auto finish = [](std::vector<int32_t>& ids) {
    std::sort(ids.begin(), ids.end());
    ids.erase(std::unique(ids.begin(), ids.end()), ids.end());
  };
  if (is_tfree_special_word(word)) {
    sets.interior = special_word_row(word);
    sets.trigram_count = 1;
    finish(sets.interior);
    return sets;
  }
  const std::vector<uint32_t> trigrams = word_trigram_ids(word);
  std::vector<int32_t> row(config_.population);
  for (uint32_t trigram : trigrams) {
    copy_row(trigram, row.data());
    std::vector<int32_t>& into = is_edge_trigram(trigram) ? sets.edge : sets.interior;
    into.insert(into.end(), row.begin(), row.end());
  }
  finish(sets.interior);
  finish(sets.edge);
  sets.trigram_count = int32_t(trigrams.size());
  return sets;
}

TrigramBatch TrigramHasher::encode_batch(const std::vector<std::string>& words) const {
  // Two passes, both parallel over words for long inputs: the trigram count of every word gives
  // the offsets, then every word writes its rows into its own slice.
  const std::ptrdiff_t n = std::ptrdiff_t(words.size());
  const bool parallel = words.size() >= 4096;
  TrigramBatch batch;
  batch.population = config_.population;
  batch.trigram_counts.resize(words.size());
#pragma omp parallel for schedule(static) if (parallel)
  for (std::ptrdiff_t w = 0; w < n; ++w) {
    const std::string& word = words[std::size_t(w)];
    batch.trigram_counts[std::size_t(w)] =
        word.empty() ? 0 : is_tfree_special_word(word) ? 1 : int64_t(word_trigram_ids(word).size());
  }
  batch.word_offsets.resize(words.size() + 1, 0);
  for (std::size_t w = 0; w < words.size(); ++w)
    batch.word_offsets[w + 1] = batch.word_offsets[w] + batch.trigram_counts[w];
  const std::size_t m = std::size_t(config_.population);
  batch.ids.resize(std::size_t(batch.word_offsets.back()) * m);
#pragma omp parallel for schedule(dynamic, 256) if (parallel)
  for (std::ptrdiff_t w = 0; w < n; ++w) {
    thread_local std::vector<int64_t> rows;
    rows.clear();
    append_word_rows(words[std::size_t(w)], rows);
    std::copy(rows.begin(), rows.end(), batch.ids.begin() + std::ptrdiff_t(std::size_t(batch.word_offsets[std::size_t(w)]) * m));
  }
  return batch;
}

WordPatterns TrigramHasher::encode_patterns(const std::vector<std::string>& words) const {
  WordPatterns patterns;
  patterns.offsets.reserve(words.size() + 1);
  patterns.offsets.push_back(0);
  for (const std::string& word : words) {
    const std::vector<int64_t> pattern = word_pattern(word);
    patterns.ids.insert(patterns.ids.end(), pattern.begin(), pattern.end());
    patterns.offsets.push_back(int64_t(patterns.ids.size()));
  }
  return patterns;
}

std::size_t TrigramHasher::cached_rows() const {
  std::lock_guard lock(fill_mutex_);
  std::lock_guard special_lock(special_mutex_);
  return row_count_ + special_rows_.size();
}

void TrigramHasher::clear_cache() {
  std::lock_guard lock(fill_mutex_);
  for (std::size_t p = 0; p < kPages; ++p) {
    Page* page = pages_[p].exchange(nullptr);
    if (!page) continue;
    for (auto& row : page->rows) delete[] row.load();
    delete page;
  }
  row_count_ = 0;
  std::lock_guard special_lock(special_mutex_);
  special_rows_.clear();
}

}  // namespace bytegrad::tokenizer
