#include "tokenizer/bpe_trainer.h"

#include <algorithm>
#include <queue>
#include <stdexcept>
#include <unordered_map>
#include <unordered_set>

namespace bytegrad::tokenizer {
namespace {

using Pair = std::uint64_t;  // left id << 32 | right id

Pair make_pair(TokenId left, TokenId right) { return (Pair(std::uint32_t(left)) << 32) | std::uint32_t(right); }
TokenId pair_left(Pair p) { return TokenId(p >> 32); }
TokenId pair_right(Pair p) { return TokenId(p & 0xFFFFFFFF); }

struct Word {
  std::vector<TokenId> symbols;
  std::uint64_t count;
};

// Distinct pieces of the corpus with their counts, as byte-token sequences.
std::vector<Word> count_words(std::span<const std::string> texts, PretokenizerPattern pattern) {
  std::unordered_map<std::string_view, std::uint64_t> counts;
  for (const std::string& text : texts) pretokenize(pattern, text, [&](std::string_view piece) { ++counts[piece]; });
  std::vector<Word> words;
  words.reserve(counts.size());
  for (const auto& [piece, count] : counts) {
    Word w{{}, count};
    for (unsigned char b : piece) w.symbols.push_back(b);
    words.push_back(std::move(w));
  }
  // Hash-map order is not portable; sorting makes the training order (and tie handling) stable.
  std::sort(words.begin(), words.end(), [](const Word& a, const Word& b) { return a.symbols < b.symbols; });
  return words;
}

class PairStatistics {
 public:
  explicit PairStatistics(const std::vector<Word>& words) {
    for (std::size_t w = 0; w < words.size(); ++w) add_word(words[w], w, +1);
    touched_.clear();
    for (const auto& [pair, count] : counts_) queue_.push({count, pair});
  }

  // Adds (sign +1) or removes (-1) the pairs of one word.
  void add_word(const Word& word, std::size_t index, int sign) {
    for (std::size_t i = 0; i + 1 < word.symbols.size(); ++i) {
      const Pair p = make_pair(word.symbols[i], word.symbols[i + 1]);
      std::int64_t& count = counts_[p];
      count += sign * std::int64_t(word.count);
      if (sign > 0) {
        words_with_[p].insert(index);
        touched_.push_back(p);
      }
    }
  }

  // Re-queues the pairs whose counts changed since the last call.
  void requeue_touched() {
    for (Pair p : touched_) queue_.push({counts_[p], p});
    touched_.clear();
  }

  // The most frequent pair with at least `min_count` occurrences; false when none is left.
  bool pop_best(std::uint64_t min_count, Pair& best) {
    while (!queue_.empty()) {
      const Entry top = queue_.top();
      queue_.pop();
      const std::int64_t current = counts_[top.pair];
      if (current != top.count) continue;  // stale entry; the current count is queued too
      if (current < std::int64_t(min_count)) return false;
      best = top.pair;
      return true;
    }
    return false;
  }

  std::vector<std::size_t> words_containing(Pair p) const {
    const auto it = words_with_.find(p);
    if (it == words_with_.end()) return {};
    std::vector<std::size_t> words(it->second.begin(), it->second.end());
    std::sort(words.begin(), words.end());
    return words;
  }

 private:
  struct Entry {
    std::int64_t count;
    Pair pair;
    // Highest count first; on ties the smaller pair (older ids) first.
    bool operator<(const Entry& o) const { return count != o.count ? count < o.count : pair > o.pair; }
  };
  std::unordered_map<Pair, std::int64_t> counts_;
  std::unordered_map<Pair, std::unordered_set<std::size_t>> words_with_;
  std::priority_queue<Entry> queue_;
  std::vector<Pair> touched_;
};

void merge_in_word(Word& word, TokenId left, TokenId right, TokenId merged) {
  std::vector<TokenId>& s = word.symbols;
  std::size_t out = 0;
  for (std::size_t i = 0; i < s.size(); ++i) {
    if (i + 1 < s.size() && s[i] == left && s[i + 1] == right) {
      s[out++] = merged;
      ++i;
    } else {
      s[out++] = s[i];
    }
  }
  s.resize(out);
}

}  // namespace

TrainedBpe train_byte_level_bpe(std::span<const std::string> texts, const BpeTrainerOptions& options) {
  const std::size_t reserved = 256 + options.special_tokens.size();
  if (options.vocab_size < reserved)
    throw std::invalid_argument("BPE trainer: vocab_size " + std::to_string(options.vocab_size) +
                                " is below the 256 byte tokens plus " +
                                std::to_string(options.special_tokens.size()) + " special tokens");
  TrainedBpe trained{{}, {}, options.pattern, options.special_tokens};
  for (int b = 0; b < 256; ++b) trained.bytes_by_id.push_back(std::string(1, char(b)));

  TokenIdMap id_of_bytes;
  for (int b = 0; b < 256; ++b) id_of_bytes.emplace(trained.bytes_by_id[b], b);
  std::vector<Word> words = count_words(texts, options.pattern);
  PairStatistics stats(words);
  Pair best;
  while (trained.bytes_by_id.size() < options.vocab_size - options.special_tokens.size() &&
         stats.pop_best(options.min_pair_count, best)) {
    const TokenId left = pair_left(best), right = pair_right(best);
    trained.merges.emplace_back(trained.bytes_by_id[left], trained.bytes_by_id[right]);
    // Two merges can spell the same bytes ("a"+"bc", "ab"+"c"); they share one token, as in
    // Hugging Face's trainer.
    const auto [it, is_new] = id_of_bytes.emplace(trained.bytes_by_id[left] + trained.bytes_by_id[right],
                                                  TokenId(trained.bytes_by_id.size()));
    if (is_new) trained.bytes_by_id.push_back(it->first);
    const TokenId merged = it->second;
    for (std::size_t w : stats.words_containing(best)) {
      stats.add_word(words[w], w, -1);
      merge_in_word(words[w], left, right, merged);
      stats.add_word(words[w], w, +1);
    }
    stats.requeue_touched();
  }
  return trained;
}

}  // namespace bytegrad::tokenizer
