// The dictionary T-Free decodes into: the words a model may emit, each with the sparse id sets of
// its trigrams (interior and edge, see WordIdSets) and its trigram count, in CSR form. Built like
// the original's: the 16 special words first, then the top N words of a corpus by count, then
// any extra words (a prompt's words, --more-words).
#pragma once

#include <cstdint>
#include <filesystem>
#include <string>
#include <string_view>
#include <unordered_map>
#include <utility>
#include <vector>

#include "tokenizer/trigram_hasher.h"

namespace bytegrad::tokenizer {

// The original's 16 special words, in its order: "<|\n|>", "<|endoftext|>", "<|no_ws|>",
// "<|ws|>", the whitespace and newline runs of 2, 4, 6 and 8, and four chat markers.
const std::vector<std::string>& tfree_special_words();

// Word counts of a corpus: text_to_words over each text, counted.
using WordCounts = std::unordered_map<std::string, int64_t>;
void count_tfree_words(std::string_view text, WordCounts& counts);

class TfreeDictionary {
 public:
  // An empty dictionary for `config` (throws std::invalid_argument when it is invalid).
  explicit TfreeDictionary(TrigramHashConfig config);

  // The special words (with their counts in `counts`, 0 if absent), then the `top_n` most frequent
  // other words (ties in count broken by byte order, so the result does not depend on the order
  // the corpus was read), then `extra_words` not yet present. Throws std::invalid_argument for a
  // word that is not exactly one T-Free word (as add_words).
  static TfreeDictionary from_counts(const TrigramHasher& hasher, const WordCounts& counts, int64_t top_n,
                                     const std::vector<std::string>& extra_words = {});

  // Appends every word of `words` not yet present (count 0) and returns how many were added.
  // Throws std::invalid_argument naming a word that text_to_words does not give back as exactly
  // that one word (an empty string, "a b", "x1").
  int64_t add_words(const TrigramHasher& hasher, const std::vector<std::string>& words);
  // add_words(text_to_words(text)): the words of a prompt, or of --more-words.
  int64_t add_text_words(const TrigramHasher& hasher, std::string_view text);

  const TrigramHashConfig& config() const { return config_; }
  int64_t size() const { return int64_t(words_.size()); }
  const std::string& word(int64_t index) const { return words_.at(std::size_t(index)); }
  const std::vector<std::string>& words() const { return words_; }
  int64_t count(int64_t index) const { return counts_.at(std::size_t(index)); }
  // The index of `word`, or -1.
  int64_t find(std::string_view word) const;

  // CSR: word w's interior ids are interior_ids()[interior_offsets()[w], interior_offsets()[w+1]),
  // sorted and distinct; likewise its edge ids. trigram_counts()[w] is T_w (1 for special words).
  const std::vector<int64_t>& interior_offsets() const { return interior_offsets_; }
  const std::vector<int32_t>& interior_ids() const { return interior_ids_; }
  const std::vector<int64_t>& edge_offsets() const { return edge_offsets_; }
  const std::vector<int32_t>& edge_ids() const { return edge_ids_; }
  const std::vector<int32_t>& trigram_counts() const { return trigram_counts_; }

  // JSON lines: a header {"format": "bytegrad-tfree-dictionary", "version": 1, "vocab_size",
  // "population", "lowercase_overlap", "words": N}, then one object per word
  // {"word", "count", "trigrams", "interior": [...], "edge": [...]}. Throws std::runtime_error
  // when the file cannot be written.
  void save(const std::filesystem::path& path) const;
  // Reads what save wrote. Throws std::runtime_error naming the file and line for anything
  // malformed: bad JSON, a missing or mistyped field, an id outside [0, vocab_size), ids not
  // sorted and distinct, a repeated word, a word count that disagrees with the header.
  static TfreeDictionary load(const std::filesystem::path& path);

 private:
  void append(std::string word, int64_t count, WordIdSets sets);

  TrigramHashConfig config_;
  std::vector<std::string> words_;
  std::vector<int64_t> counts_;
  std::unordered_map<std::string, int64_t> index_;
  std::vector<int64_t> interior_offsets_{0};
  std::vector<int32_t> interior_ids_;
  std::vector<int64_t> edge_offsets_{0};
  std::vector<int32_t> edge_ids_;
  std::vector<int32_t> trigram_counts_;
};

}  // namespace bytegrad::tokenizer
