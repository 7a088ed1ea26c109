// T-Free trigram hashing (tokenizer/trigram_hasher.h): rows measured on the original rules
// (V = 32000, m = 10, with and without the lowercase overlap k = 2), special words, and the
// layouts handed to the model.
#include <doctest/doctest.h>

#include <algorithm>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include "tokenizer/trigram_hasher.h"

namespace bytegrad::tokenizer {
namespace {

using Row = std::vector<int32_t>;

const TrigramHashConfig kPlain{.vocab_size = 32000, .population = 10, .lowercase_overlap = 0};
const TrigramHashConfig kOverlap{.vocab_size = 32000, .population = 10, .lowercase_overlap = 2};

uint32_t tid(const char* three) {
  return uint32_t(uint8_t(three[0])) | uint32_t(uint8_t(three[1])) << 8 | uint32_t(uint8_t(three[2])) << 16;
}

const Row kHeUpper = {3605, 6000, 6940, 8764, 13910, 15616, 17701, 22257, 26238, 29911};
const Row kHeUpperOverlap = {3605, 6000, 6940, 8764, 13910, 15616, 17701, 22257, 22896, 29430};
const Row kHeLower = {711, 741, 2328, 3032, 3420, 8249, 9441, 21499, 22896, 29430};
const Row kHel = {2267, 4207, 4961, 6240, 7732, 13719, 16612, 20027, 24454, 25406};
const Row kHelOverlap = {2267, 4207, 4961, 6240, 7732, 13719, 16612, 20027, 21577, 26609};
const Row kEll = {642, 3891, 6198, 7469, 11129, 13302, 14907, 21031, 22072, 31915};
const Row kLlo = {48, 1385, 7079, 9355, 10760, 12034, 13136, 14410, 17414, 29938};
const Row kLoSpace = {1952, 3025, 5663, 7790, 9275, 12846, 24089, 24752, 29839, 31114};

TEST_CASE("trigram ids are little-endian over the bytes of ' ' + word + ' '") {
  CHECK(tid(" He") == 6637600);
  CHECK(word_trigram_ids("Hello") == std::vector<uint32_t>{6637600, 7103816, 7105637, 7302252, 2125676});
  CHECK(word_trigram_ids("a") == std::vector<uint32_t>{2122016});
  CHECK(word_trigram_ids("aaaa") == std::vector<uint32_t>{tid(" aa"), tid("aaa"), tid("aa ")});  // a set
  CHECK(word_trigram_ids("").empty());
}

TEST_CASE("trigram rows are the measured ones without the lowercase overlap") {
  const TrigramHasher hasher(kPlain);
  CHECK(hasher.trigram_row(tid(" He")) == kHeUpper);
  CHECK(hasher.trigram_row(tid(" he")) == kHeLower);
  CHECK(hasher.trigram_row(tid("Hel")) == kHel);
  CHECK(hasher.trigram_row(tid("ell")) == kEll);
  CHECK(hasher.trigram_row(tid("llo")) == kLlo);
  CHECK(hasher.trigram_row(tid("lo ")) == kLoSpace);
  CHECK(hasher.trigram_row(tid(" a ")) == Row{1252, 1501, 4407, 11932, 13247, 15103, 16451, 23610, 26670, 30626});
  CHECK(hasher.trigram_row(tid(" ! ")) == Row{3225, 9149, 9939, 16185, 22662, 23244, 23810, 24805, 26036, 31295});
  CHECK(hasher.trigram_row(tid("hel")) == Row{4194, 14357, 15246, 16196, 17547, 19071, 20120, 21198, 21577, 26609});
}

TEST_CASE("the lowercase overlap replaces the row tail of capitalised letter trigrams only") {
  const TrigramHasher hasher(kOverlap);
  CHECK(hasher.trigram_row(tid(" He")) == kHeUpperOverlap);
  CHECK(hasher.trigram_row(tid("Hel")) == kHelOverlap);
  CHECK(hasher.trigram_row(tid(" he")) == kHeLower);  // lowercase rows never change
  CHECK(hasher.trigram_row(tid("ell")) == kEll);
  const TrigramHasher plain(kPlain);
  // "1A " has a digit, so the rule does not apply.
  CHECK(hasher.trigram_row(tid("1A ")) == plain.trigram_row(tid("1A ")));
}

TEST_CASE("special words are hashed whole, not deduplicated, with a lowercase tail") {
  const TrigramHasher hasher(kOverlap);
  CHECK(hasher.special_word_row("<|endoftext|>") == Row{3660, 30793, 14822, 5862, 541, 29684, 15568, 23924, 5552, 26926});
  CHECK(hasher.special_word_row("<|ws|>") == Row{4616, 28554, 9617, 28722, 23728, 27755, 26516, 19858, 27164, 19790});
  CHECK(hasher.special_word_row("<|no_ws|>") == Row{28151, 13147, 13380, 10315, 11053, 31742, 31119, 15276, 25555, 16737});
  CHECK(hasher.special_word_row("<|\n|>") == Row{4451, 60, 16366, 31797, 20184, 3940, 23120, 22285, 8454, 26261});
  std::vector<int64_t> ids;
  CHECK(hasher.append_word_rows("<|endoftext|>", ids) == 1);
  CHECK(ids.size() == 10);
  const WordIdSets sets = hasher.word_id_sets("<|endoftext|>");
  CHECK(sets.trigram_count == 1);
  CHECK(sets.edge.empty());
  CHECK(sets.interior.size() == 10);
  CHECK(std::is_sorted(sets.interior.begin(), sets.interior.end()));
}

TEST_CASE("a word's pattern is the sorted union of its trigram rows, and its sets split edges off") {
  const TrigramHasher hasher(kOverlap);
  std::vector<int64_t> expected;
  for (const Row* row : {&kHeUpperOverlap, &kHelOverlap, &kEll, &kLlo, &kLoSpace}) expected.insert(expected.end(), row->begin(), row->end());
  std::sort(expected.begin(), expected.end());
  expected.erase(std::unique(expected.begin(), expected.end()), expected.end());
  CHECK(hasher.word_pattern("Hello") == expected);

  const WordIdSets sets = hasher.word_id_sets("Hello");
  CHECK(sets.trigram_count == 5);
  Row interior;
  for (const Row* row : {&kHelOverlap, &kEll, &kLlo}) interior.insert(interior.end(), row->begin(), row->end());
  std::sort(interior.begin(), interior.end());
  interior.erase(std::unique(interior.begin(), interior.end()), interior.end());
  CHECK(sets.interior == interior);
  Row edge = kHeUpperOverlap;
  edge.insert(edge.end(), kLoSpace.begin(), kLoSpace.end());
  std::sort(edge.begin(), edge.end());
  CHECK(sets.edge == edge);
}

TEST_CASE("a batch lays words out as an embedding bag reads them") {
  const TrigramHasher hasher(kPlain);
  const TrigramBatch batch = hasher.encode_batch({"Hello", "<|ws|>", "a"});
  CHECK(batch.population == 10);
  CHECK(batch.word_offsets == std::vector<int64_t>{0, 5, 6, 7});
  CHECK(batch.trigram_counts == std::vector<int64_t>{5, 1, 1});
  CHECK(batch.num_trigrams() == 7);
  REQUIRE(batch.ids.size() == 70);
  CHECK(std::vector<int64_t>(batch.ids.begin(), batch.ids.begin() + 10) ==
        std::vector<int64_t>(kHeUpper.begin(), kHeUpper.end()));
  CHECK(std::vector<int64_t>(batch.ids.begin() + 60, batch.ids.end()) ==
        std::vector<int64_t>{1252, 1501, 4407, 11932, 13247, 15103, 16451, 23610, 26670, 30626});

  const WordPatterns patterns = hasher.encode_patterns({"a", "Hello"});
  CHECK(patterns.offsets.size() == 3);
  CHECK(std::vector<int64_t>(patterns.ids.begin(), patterns.ids.begin() + patterns.offsets[1]) == hasher.word_pattern("a"));
  CHECK(std::vector<int64_t>(patterns.ids.begin() + patterns.offsets[1], patterns.ids.end()) == hasher.word_pattern("Hello"));
}

TEST_CASE("a long batch, encoded in parallel, equals its words encoded one at a time") {
  const TrigramHasher hasher(kOverlap);
  std::vector<std::string> words;
  for (int i = 0; i < 6000; ++i)
    words.push_back(i % 7 == 0 ? "<|ws|>" : i % 11 == 0 ? "" : "w" + std::to_string(i * 7919 % 1000) + "Ab");
  const TrigramBatch batch = hasher.encode_batch(words);
  REQUIRE(batch.num_words() == 6000);
  std::vector<int64_t> expected;
  for (std::size_t w = 0; w < words.size(); ++w) {
    const int64_t rows = hasher.append_word_rows(words[w], expected);
    CHECK(batch.trigram_counts[w] == rows);
    CHECK(batch.word_offsets[w + 1] - batch.word_offsets[w] == rows);
  }
  CHECK(batch.ids == expected);
}

TEST_CASE("rows are cached and the cache is safe to fill from many threads") {
  TrigramHasher hasher(kOverlap);
  const TrigramHasher fresh(kOverlap);
  const std::vector<std::string> words = {"Hello", "world", "Bytegrad", "trigram", "HASHING", "caf\xC3\xA9"};
  std::vector<std::thread> threads;
  std::vector<std::vector<int64_t>> results(8);
  for (int t = 0; t < 8; ++t)
    threads.emplace_back([&, t] {
      for (const std::string& w : words) {
        const std::vector<int64_t> p = hasher.word_pattern(w);
        results[std::size_t(t)].insert(results[std::size_t(t)].end(), p.begin(), p.end());
      }
    });
  for (std::thread& t : threads) t.join();
  for (const auto& r : results) CHECK(r == results[0]);
  CHECK(hasher.cached_rows() > 0);
  CHECK(hasher.word_pattern("Bytegrad") == fresh.word_pattern("Bytegrad"));
  hasher.clear_cache();
  CHECK(hasher.cached_rows() == 0);
}

TEST_CASE("a one-megabyte word hashes its three distinct trigrams") {
  const TrigramHasher hasher(kPlain);
  const std::string word(1 << 20, 'a');
  std::vector<int64_t> ids;
  CHECK(hasher.append_word_rows(word, ids) == 3);
  CHECK(ids.size() == 30);
}

TEST_CASE("invalid configs are rejected") {
  CHECK_THROWS_AS(TrigramHasher({.vocab_size = 5, .population = 10}), std::invalid_argument);
  CHECK_THROWS_AS(TrigramHasher({.vocab_size = 100, .population = 0}), std::invalid_argument);
  CHECK_THROWS_AS(TrigramHasher({.vocab_size = 100, .population = 4, .lowercase_overlap = 5}), std::invalid_argument);
  CHECK_THROWS_AS(TrigramHasher(kPlain).trigram_row(1u << 24), std::invalid_argument);
}

}  // namespace
}  // namespace bytegrad::tokenizer
