// The T-Free decoding dictionary (tokenizer/tfree_dictionary.h): its order, its sparse sets, its
// file and the errors for malformed files.
#include <doctest/doctest.h>

#include <filesystem>
#include <fstream>
#include <stdexcept>
#include <string>
#include <vector>

#include "reference_support.h"
#include "tokenizer/tfree_dictionary.h"

namespace bytegrad::tokenizer {
namespace {

namespace fs = std::filesystem;

const TrigramHashConfig kConfig{.vocab_size = 1024, .population = 4, .lowercase_overlap = 1};

TfreeDictionary small_dictionary(const TrigramHasher& hasher) {
  WordCounts counts;
  count_tfree_words("the cat saw the dog. The dog saw the cat!\nthe end", counts);
  return TfreeDictionary::from_counts(hasher, counts, 4, {"zebra"});
}

TEST_CASE("the dictionary holds the special words, then the top words by count, then extra words") {
  const TrigramHasher hasher(kConfig);
  const TfreeDictionary dictionary = small_dictionary(hasher);
  REQUIRE(dictionary.size() == 16 + 4 + 1);
  for (std::size_t i = 0; i < 16; ++i) CHECK(dictionary.word(int64_t(i)) == tfree_special_words()[i]);
  CHECK(dictionary.count(0) == 1);  // one "<|\n|>" in the corpus
  // the: 4; cat, dog, saw: 2 each (ties in byte order); then the extra word.
  CHECK(dictionary.word(16) == "the");
  CHECK(dictionary.count(16) == 4);
  CHECK(dictionary.word(17) == "cat");
  CHECK(dictionary.word(18) == "dog");
  CHECK(dictionary.word(19) == "saw");
  CHECK(dictionary.word(20) == "zebra");
  CHECK(dictionary.count(20) == 0);
  CHECK(dictionary.find("dog") == 18);
  CHECK(dictionary.find("The") == -1);
}

TEST_CASE("each word stores its interior and edge sets and trigram count in CSR form") {
  const TrigramHasher hasher(kConfig);
  const TfreeDictionary dictionary = small_dictionary(hasher);
  for (int64_t w = 0; w < dictionary.size(); ++w) {
    const WordIdSets sets = hasher.word_id_sets(dictionary.word(w));
    const auto slice = [&](const std::vector<int32_t>& ids, const std::vector<int64_t>& offsets) {
      return std::vector<int32_t>(ids.begin() + offsets[std::size_t(w)], ids.begin() + offsets[std::size_t(w) + 1]);
    };
    CHECK(slice(dictionary.interior_ids(), dictionary.interior_offsets()) == sets.interior);
    CHECK(slice(dictionary.edge_ids(), dictionary.edge_offsets()) == sets.edge);
    CHECK(dictionary.trigram_counts()[std::size_t(w)] == sets.trigram_count);
  }
  CHECK(dictionary.trigram_counts()[16] == 3);  // " th", "the", "he "
}

TEST_CASE("add_words appends new words once and rejects what is not one word") {
  const TrigramHasher hasher(kConfig);
  TfreeDictionary dictionary = small_dictionary(hasher);
  CHECK(dictionary.add_words(hasher, {"cat", "owl", "owl"}) == 1);
  CHECK(dictionary.word(dictionary.size() - 1) == "owl");
  CHECK(dictionary.add_text_words(hasher, "An owl, and a lark.") == 6);  // all but "owl"
  CHECK_THROWS_WITH_AS(dictionary.add_words(hasher, {"two words"}),
                       "T-Free dictionary: 'two words' is not one T-Free word (it splits into 2)", std::invalid_argument);
  CHECK_THROWS_AS(dictionary.add_words(hasher, {""}), std::invalid_argument);
  CHECK_THROWS_AS(dictionary.add_words(hasher, {"x1"}), std::invalid_argument);
  const TrigramHasher other({.vocab_size = 1024, .population = 4, .lowercase_overlap = 0});
  CHECK_THROWS_AS(dictionary.add_words(other, {"new"}), std::invalid_argument);
}

TEST_CASE("a saved dictionary loads back equal") {
  const TrigramHasher hasher(kConfig);
  const TfreeDictionary dictionary = small_dictionary(hasher);
  const fs::path path = testing::scratch_dir() / "tfree-dictionary.jsonl";
  dictionary.save(path);
  const TfreeDictionary loaded = TfreeDictionary::load(path);
  CHECK(loaded.config() == dictionary.config());
  CHECK(loaded.words() == dictionary.words());
  CHECK(loaded.interior_ids() == dictionary.interior_ids());
  CHECK(loaded.interior_offsets() == dictionary.interior_offsets());
  CHECK(loaded.edge_ids() == dictionary.edge_ids());
  CHECK(loaded.edge_offsets() == dictionary.edge_offsets());
  CHECK(loaded.trigram_counts() == dictionary.trigram_counts());
  CHECK(loaded.count(16) == 4);
}

// Writes `lines` to a scratch file and returns the load error.
std::string load_error(const std::vector<std::string>& lines) {
  const fs::path path = testing::scratch_dir() / "tfree-bad.jsonl";
  std::ofstream out(path, std::ios::binary);
  for (const std::string& line : lines) out << line << '\n';
  out.close();
  try {
    TfreeDictionary::load(path);
  } catch (const std::runtime_error& e) {
    const std::string message = e.what();
    REQUIRE(message.starts_with(path.string() + ":"));
    return message.substr(path.string().size() + 1);
  }
  FAIL("the malformed dictionary loaded");
  return "";
}

TEST_CASE("a malformed dictionary file gets an error naming the file and line") {
  const std::string header =
      R"({"format":"bytegrad-tfree-dictionary","version":1,"vocab_size":100,"population":2,"lowercase_overlap":0,"words":1})";
  const std::string good = R"({"word":"a","count":1,"trigrams":1,"interior":[],"edge":[3,7]})";
  CHECK(load_error({}) == "1: ends before the header");
  CHECK(load_error({"not json"}) == "1: the header is not a JSON object");
  CHECK(load_error({R"({"format":"other"})"}) ==
        "1: not a T-Free dictionary (\"format\" is not \"bytegrad-tfree-dictionary\")");
  CHECK(load_error({R"({"format":"bytegrad-tfree-dictionary","version":1,"vocab_size":1,"population":2,"lowercase_overlap":0,"words":0})"})
            .starts_with("1: T-Free hash config"));
  CHECK(load_error({header}) == "2: ends before every word the header announces");
  CHECK(load_error({header, R"({"word":"a","count":1,"trigrams":1,"interior":[],"edge":[3,100]})"}) ==
        "2: \"edge\" holds 100, not an id in [0, 100)");
  CHECK(load_error({header, R"({"word":"a","count":1,"trigrams":1,"interior":[5,5],"edge":[]})"}) ==
        "2: \"interior\" is not sorted and distinct");
  CHECK(load_error({header, R"({"count":1,"trigrams":1,"interior":[],"edge":[]})"}) ==
        "2: field \"word\" is missing or not a string");
  CHECK(load_error({header, R"({"word":"a","count":1,"trigrams":0,"interior":[],"edge":[]})"}) ==
        "2: \"trigrams\" must be a positive count");
  CHECK(load_error({header, R"({"word":"a","count":"x","trigrams":1,"interior":[],"edge":[]})"}) ==
        "2: field \"count\" is missing or not an integer");
  CHECK(load_error({header, good, good}) == "3: more words than the header's 1");
  const std::string two = R"({"format":"bytegrad-tfree-dictionary","version":1,"vocab_size":100,"population":2,"lowercase_overlap":0,"words":2})";
  CHECK(load_error({two, good, good}) == "3: word 'a' appears twice");
  CHECK_THROWS_WITH_AS(TfreeDictionary::load(testing::scratch_dir() / "missing.jsonl"),
                       ((testing::scratch_dir() / "missing.jsonl").string() + ": cannot open file").c_str(),
                       std::runtime_error);
}

}  // namespace
}  // namespace bytegrad::tokenizer
