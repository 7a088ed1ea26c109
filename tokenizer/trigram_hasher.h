// T-Free's sparse word code: a word's byte trigrams, each mapped by MD5 to `population` of
// `vocab_size` embedding rows, as the original code does (not quite as the paper describes):
//   - trigrams are the distinct 3-byte windows of the UTF-8 bytes of " " + word + " ", and a
//     trigram's id is b0 + 256*b1 + 65536*b2 (little-endian, in [0, 2^24));
//   - the row of trigram id t: for k in [0, m): hash MD5("<t>_<k>_<j>") for j = 0, 1, ... (the
//     digest as a 128-bit big-endian integer, modulo V) until an id not yet in the row appears;
//     then the m ids are sorted;
//   - lowercase overlap k: a trigram of ASCII letters and spaces with an uppercase letter has the
//     last k entries of its row replaced by the last k entries of its lowercased trigram's row;
//   - a special word (one containing "<|") is hashed whole as one "trigram":
//     [MD5("<w>_<i>") mod V for i < m-k] then [MD5("<lower(w)>_lower_<i>") mod V for i < k].
// Rows are computed on first use and cached; the full 2^24 x m table is never built.
#pragma once

#include <array>
#include <atomic>
#include <cstdint>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

namespace bytegrad::tokenizer {

struct TrigramHashConfig {
  int64_t vocab_size = 32000;  // V: rows of the embedding and of the multi-label head
  int population = 10;         // m: ids per trigram
  int lowercase_overlap = 0;   // k: ids a capitalised trigram shares with its lowercase form

  // Throws std::invalid_argument unless 1 <= m <= V < 2^31 and 0 <= k <= m.
  void validate() const;
  bool operator==(const TrigramHashConfig&) const = default;
};

// A word's ids sorted and deduplicated by where they come from, for the decoding dictionary: the
// rows of its interior trigrams, those of its edge trigrams (the first and last, which hold the
// padding spaces; the two sets may overlap), and its number of distinct trigrams. A special word
// has all its ids in `interior`, none in `edge`, and trigram_count 1.
struct WordIdSets {
  std::vector<int32_t> interior;
  std::vector<int32_t> edge;
  int32_t trigram_count = 0;
};

// Words in the layout an embedding bag reads. Row r of the [num_trigrams, m] id matrix is
// ids[r*m, (r+1)*m); word w owns rows [word_offsets[w], word_offsets[w+1]), so its flat ids are
// ids[word_offsets[w]*m, word_offsets[w+1]*m). Ids repeat as the rows repeat them (the original
// sums with multiplicity); trigram_counts[w] = word_offsets[w+1] - word_offsets[w] is kept for
// the optional normalisation by trigram count.
struct TrigramBatch {
  int population = 0;
  std::vector<int64_t> ids;             // [num_trigrams * population]
  std::vector<int64_t> word_offsets;    // [num_words + 1], starting at 0
  std::vector<int64_t> trigram_counts;  // [num_words]

  int64_t num_words() const { return int64_t(trigram_counts.size()); }
  int64_t num_trigrams() const { return word_offsets.empty() ? 0 : word_offsets.back(); }
};

// The multi-label targets of words in CSR form: word w's sorted distinct ids are
// ids[offsets[w], offsets[w+1]).
struct WordPatterns {
  std::vector<int64_t> ids;
  std::vector<int64_t> offsets;  // [num_words + 1]
};

// True for a word hashed whole rather than by trigrams: one that contains "<|".
bool is_tfree_special_word(std::string_view word);

// The distinct trigram ids of " " + word + " " in order of first occurrence (empty for "").
std::vector<uint32_t> word_trigram_ids(std::string_view word);

// Maps words to ids under one config. Safe to use from many threads at once.
class TrigramHasher {
 public:
  // Throws std::invalid_argument for an invalid config.
  explicit TrigramHasher(TrigramHashConfig config);
  ~TrigramHasher();
  TrigramHasher(const TrigramHasher&) = delete;
  TrigramHasher& operator=(const TrigramHasher&) = delete;

  const TrigramHashConfig& config() const { return config_; }

  // The m ids of trigram `trigram_id` (< 2^24) with the lowercase overlap applied: sorted unless
  // the overlap replaced entries, and then possibly with a repeated id.
  std::vector<int32_t> trigram_row(uint32_t trigram_id) const;

  // The m ids of special word `word`, not deduplicated.
  std::vector<int32_t> special_word_row(std::string_view word) const;

  // Appends the rows of `word` (m ids per trigram: one row for a special word) to `ids` and
  // returns the number of rows appended. "" appends nothing.
  int64_t append_word_rows(std::string_view word, std::vector<int64_t>& ids) const;

  // The sorted distinct ids active for `word`: its multi-label target.
  std::vector<int64_t> word_pattern(std::string_view word) const;

  // The interior and edge id sets of `word` (see WordIdSets).
  WordIdSets word_id_sets(std::string_view word) const;

  // Every word's rows, in the embedding-bag layout; an empty word has no rows. Batches of 4096
  // words or more are encoded in parallel (OpenMP) with the same result.
  TrigramBatch encode_batch(const std::vector<std::string>& words) const;

  // Every word's pattern, in CSR form.
  WordPatterns encode_patterns(const std::vector<std::string>& words) const;

  // Rows computed so far (trigrams and special words); for benchmarks and tests.
  std::size_t cached_rows() const;
  // Forgets every cached row (a cold-cache benchmark starts here). Not to be called while another
  // thread uses the hasher.
  void clear_cache();

 private:
  // The row before the lowercase overlap.
  std::vector<int32_t> plain_row(uint32_t trigram_id) const;
  // Copies the cached row of `trigram_id` (computing it first if need be) to `out`.
  void copy_row(uint32_t trigram_id, int32_t* out) const;

  // The row cache: a two-level table indexed by trigram id, filled on demand. Reads are two atomic
  // loads and no lock: a row is written in full before its pointer is published (release/acquire),
  // and rows stay until clear_cache. A page covers the 256 trigrams that share their last two bytes,
  // so text touches a few thousand pages (about 2 KB each), never the 2^24-row table.
  struct Page {
    std::array<std::atomic<const int32_t*>, 256> rows{};
  };
  static constexpr std::size_t kPages = std::size_t(1) << 16;

  TrigramHashConfig config_;
  std::unique_ptr<std::atomic<Page*>[]> pages_;
  mutable std::mutex fill_mutex_;  // serialises publishing pages and rows, never held by readers
  mutable std::size_t row_count_ = 0;
  mutable std::mutex special_mutex_;
  mutable std::unordered_map<std::string, std::vector<int32_t>> special_rows_;
};

}  // namespace bytegrad::tokenizer
